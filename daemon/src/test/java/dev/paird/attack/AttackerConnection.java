package dev.paird.attack;

import dev.paird.net.FrameCodecs;
import dev.paird.protocol.Frame;
import dev.paird.protocol.SessionCertificates;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLSession;

/**
 * One of Mallory's TLS connections, from either end: it tells her the two certificates as she
 * observed them, queues the frames the other end sends, and sends whatever she decides. She runs no
 * session; the test drives her one frame at a time. Every wait is bounded.
 */
final class AttackerConnection extends SimpleChannelInboundHandler<Frame> {
  /** Far longer than any step takes on loopback; reaching it means the step will not happen. */
  static final Duration WAIT = Duration.ofSeconds(20);

  private final boolean isClient;
  private final CompletableFuture<SessionCertificates> certificates = new CompletableFuture<>();
  private final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private volatile Channel channel;

  private AttackerConnection(boolean isClient) {
    this.isClient = isClient;
  }

  /**
   * The pipeline of one of Mallory's connections: TLS with her own certificate, the pairing port's
   * frame codec, and a new connection, handed to {@code opened} once the channel exists.
   */
  static ChannelInitializer<SocketChannel> initializer(
      SslContext tls, boolean isClient, Consumer<AttackerConnection> opened) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(SocketChannel channel) {
        AttackerConnection connection = new AttackerConnection(isClient);
        channel
            .pipeline()
            .addLast("tls", tls.newHandler(channel.alloc()))
            .addLast("decoder", FrameCodecs.decoder())
            .addLast("encoder", FrameCodecs.encoder())
            .addLast("attacker", connection);
        opened.accept(connection);
      }
    };
  }

  /** The certificates of this TLS session, client's first, once the handshake has completed. */
  SessionCertificates certificates() throws Exception {
    return certificates.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Sends one frame. */
  void send(Frame frame) {
    channel.writeAndFlush(frame);
  }

  /** The next frame the other end sent. */
  Frame receive() throws InterruptedException {
    Frame frame = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    if (frame == null) {
      throw new AssertionError(
          "no frame within "
              + WAIT.toSeconds()
              + " s"
              + (closed.isDone() ? "; the other end closed the connection" : ""));
    }
    return frame;
  }

  /** Waits until the connection is closed, by either end. */
  void awaitClosed() throws Exception {
    closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  void close() {
    channel.close();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    channel = ctx.channel();
    super.channelActive(ctx);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (!(event instanceof SslHandshakeCompletionEvent handshake)) {
      super.userEventTriggered(ctx, event);
      return;
    }
    if (!handshake.isSuccess()) {
      certificates.completeExceptionally(handshake.cause());
      return;
    }
    SSLSession tls = ctx.pipeline().get(SslHandler.class).engine().getSession();
    byte[] own = tls.getLocalCertificates()[0].getEncoded();
    byte[] theirs = tls.getPeerCertificates()[0].getEncoded();
    certificates.complete(
        isClient ? SessionCertificates.of(own, theirs) : SessionCertificates.of(theirs, own));
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
    received.add(frame);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    certificates.completeExceptionally(new IllegalStateException("closed before the handshake"));
    closed.complete(null);
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    certificates.completeExceptionally(cause);
    ctx.close();
  }
}
