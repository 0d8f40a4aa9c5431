package dev.paird.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A stand-in for paird that the system test installs while the real daemon is unfinished. It
 * does everything the service unit's sandbox has to allow and nothing of pairing: it takes the
 * state directory's lock, generates an identity there, loads Netty's native epoll transport
 * and netty-tcnative, serves TLS on the pairing port, answers on the control socket (mode
 * 0660), tells systemd READY=1 and STOPPING=1 over $NOTIFY_SOCKET, and logs with the journal's
 * priority prefixes. Every control request is answered with the error "not_implemented".
 */
public final class Paird {
  private static final int EX_CONFIG = 78;
  private static final boolean JOURNAL = System.getenv("JOURNAL_STREAM") != null;

  private Paird() {}

  public static void main(String[] args) {
    // Netty logs at DEBUG through Logback unless told otherwise; the journal needs INFO.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(ch.qos.logback.classic.Level.INFO);
    try {
      run(args);
    } catch (Exception e) {
      log(3, "cannot start: " + e);
      System.exit(1);
    }
  }

  @SuppressWarnings("deprecation") // SelfSignedCertificate: good enough for a stand-in
  private static void run(String[] args) throws Exception {
    Path stateDir = Path.of("/var/lib/paird");
    Path socket = Path.of("/run/paird/control.sock");
    int port = 7247;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--state-dir" -> stateDir = Path.of(args[i + 1]);
        case "--socket" -> socket = Path.of(args[i + 1]);
        case "--listen" -> port = Integer.parseInt(args[i + 1].substring(args[i + 1].lastIndexOf(':') + 1));
        default -> { }
      }
    }

    Path cert = stateDir.resolve("identity/cert.pem");
    Path key = stateDir.resolve("identity/key.pem");
    FileLock lock;
    try {
      Files.createDirectories(cert.getParent());
      lock = FileChannel.open(stateDir.resolve("paird.lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE).tryLock();
      if (lock == null) {
        log(3, "another paird holds " + stateDir.resolve("paird.lock"));
        System.exit(EX_CONFIG);
      }
      if (!Files.exists(cert)) {
        SelfSignedCertificate generated = new SelfSignedCertificate("paird-stand-in");
        writeAtomically(key, Files.readAllBytes(generated.privateKey().toPath()));
        writeAtomically(cert, Files.readAllBytes(generated.certificate().toPath()));
        generated.delete();
        log(6, "generated an identity in " + cert.getParent());
      }
      if (!Files.exists(stateDir.resolve("trusted.json"))) {
        writeAtomically(stateDir.resolve("trusted.json"),
            "{\"peers\":[]}\n".getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      log(3, "state directory " + stateDir + " is unusable: " + e);
      System.exit(EX_CONFIG);
      return;
    }

    Epoll.ensureAvailability();
    OpenSsl.ensureAvailability();
    SslContext tls = SslContextBuilder.forServer(cert.toFile(), key.toFile())
        .sslProvider(SslProvider.OPENSSL).build();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());

    Channel listener = new ServerBootstrap().group(group)
        .channel(EpollServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new Greeter());
          }
        })
        .bind(new InetSocketAddress(port)).sync().channel();

    Files.deleteIfExists(socket);
    Channel control = new ServerBootstrap().group(group)
        .channel(EpollServerDomainSocketChannel.class)
        .childHandler(new ChannelInitializer<DomainSocketChannel>() {
          @Override
          protected void initChannel(DomainSocketChannel ch) {
            ch.pipeline().addLast(new LineBasedFrameDecoder(65536), new NotImplemented());
          }
        })
        .bind(new DomainSocketAddress(socket.toFile())).sync().channel();
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));

    Channel notify = null;
    String notifySocket = System.getenv("NOTIFY_SOCKET");
    if (notifySocket != null) {
      // An address starting with "@" names a socket in the abstract namespace.
      String path = notifySocket.startsWith("@") ? "\0" + notifySocket.substring(1) : notifySocket;
      notify = new io.netty.bootstrap.Bootstrap().group(group)
          .channel(EpollDomainDatagramChannel.class)
          .handler(new ChannelInboundHandlerAdapter())
          .connect(new DomainSocketAddress(path)).sync().channel();
    }
    final Channel notifier = notify;
    final Path socketPath = socket;
    final FileLock heldLock = lock;
    sdNotify(notifier, "READY=1\nSTATUS=stand-in: no pairing\n");
    log(6, "ready: control socket " + socket + ", pairing listener *:" + port
        + " (system-test stand-in, no pairing)");

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      sdNotify(notifier, "STOPPING=1\n");
      log(6, "stopping");
      control.close().syncUninterruptibly();
      listener.close().syncUninterruptibly();
      try {
        Files.deleteIfExists(socketPath);
        heldLock.release();
      } catch (IOException e) {
        log(4, "cleaning up: " + e);
      }
      group.shutdownGracefully().syncUninterruptibly();
    }));
    listener.closeFuture().sync();
  }

  private static void sdNotify(Channel channel, String state) {
    if (channel != null) {
      channel.writeAndFlush(Unpooled.copiedBuffer(state, StandardCharsets.UTF_8))
          .syncUninterruptibly();
    }
  }

  private static void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      out.write(java.nio.ByteBuffer.wrap(content));
      out.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void log(int priority, String message) {
    System.err.println((JOURNAL ? "<" + priority + ">" : "") + "paird: " + message);
  }

  /** Greets a TLS client once the handshake succeeded, then hangs up. */
  private static final class Greeter extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent done) {
        if (done.isSuccess()) {
          ctx.writeAndFlush(Unpooled.copiedBuffer("paird stand-in\n", StandardCharsets.UTF_8))
              .addListener(ChannelFutureListener.CLOSE);
        } else {
          ctx.close();
        }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Answers every control request with the error "not_implemented". */
  private static final class NotImplemented extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      io.netty.util.ReferenceCountUtil.release(msg);
      ctx.writeAndFlush(Unpooled.copiedBuffer(
          "{\"ok\":false,\"error\":{\"code\":\"not_implemented\"}}\n", StandardCharsets.UTF_8));
    }
  }
}
