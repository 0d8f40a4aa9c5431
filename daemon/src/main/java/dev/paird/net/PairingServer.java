package dev.paird.net;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.config.ListenAddress;
import dev.paird.config.PairdConfig;
import dev.paird.protocol.KeyLedger;
import dev.paird.trust.TrustPersister;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.Errors;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The pairing listener: a TCP port speaking mutual TLS 1.3 and the pairing protocol. */
public final class PairingServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PairingServer.class);

  private final Channel channel;
  private final Connections connections;

  private PairingServer(Channel channel, Connections connections) {
    this.channel = channel;
    this.connections = connections;
  }

  /** The settings of the listener; see paird.conf for what each bounds. */
  public record Settings(
      ListenAddress listen,
      int maxConnections,
      int maxConnectionsPerSource,
      int rateLimitPerMinute,
      Duration handshakeTimeout,
      Duration firstFrameTimeout,
      Duration exchangeTimeout) {

    /** The configured settings, listening on {@code listen}. */
    public static Settings of(PairdConfig config, ListenAddress listen) {
      return new Settings(
          listen,
          config.maxConnections(),
          config.maxConnectionsPerSource(),
          config.rateLimitPerMinute(),
          config.handshakeTimeout(),
          config.firstFrameTimeout(),
          config.exchangeTimeout());
    }
  }

  /**
   * Binds and starts serving. With no host configured it binds every address: IPv6 and IPv4 through
   * one dual-stack socket, or IPv4 only where IPv6 is unavailable.
   *
   * @throws PairdException if the address cannot be bound (in use, not local, no permission)
   */
  static PairingServer start(
      EventLoopGroup boss,
      EventLoopGroup workers,
      Settings settings,
      TlsContexts tls,
      KeyLedger keys,
      TrustPersister persister,
      SecureRandom random)
      throws PairdException {
    Connections connections =
        new Connections(settings.maxConnections(), settings.maxConnectionsPerSource());
    AdmissionHandler admission =
        new AdmissionHandler(
            connections, new RateLimiter(settings.rateLimitPerMinute(), System::nanoTime));
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(EpollServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 64)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new PairingServerInitializer(
                    connections, admission, tls, settings, keys, persister, random));
    ListenAddress listen = settings.listen();
    Channel channel;
    if (listen.host().isPresent()) {
      channel = bind(bootstrap, new InetSocketAddress(listen.host().get(), listen.port()), listen);
    } else {
      try {
        channel = bind(bootstrap, new InetSocketAddress("::", listen.port()), listen);
      } catch (PairdException e) {
        // Only a kernel without IPv6 sends us to IPv4 alone; any other failure (port in use)
        // is reported as it is rather than half-hidden behind a narrower bind.
        if (!ipv6Unavailable(e)) {
          throw e;
        }
        log.warn("IPv6 is not available on this system; listening on IPv4 only");
        channel = bind(bootstrap, new InetSocketAddress("0.0.0.0", listen.port()), listen);
      }
    }
    log.info("pairing listener on {}", channel.localAddress());
    return new PairingServer(channel, connections);
  }

  private static Channel bind(
      ServerBootstrap bootstrap, InetSocketAddress address, ListenAddress configured)
      throws PairdException {
    if (address.isUnresolved()) {
      throw ListenAddress.unresolvable(configured);
    }
    try {
      return bootstrap.bind(address).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PairdException(ErrorCode.INTERNAL, "interrupted while binding " + configured);
    } catch (Exception e) {
      int errno = errno(e);
      // An address in use or not (yet) on this host may come free or up: INTERNAL makes paird exit
      // 1, which systemd's Restart=on-failure retries, where CONFIG_INVALID's 78 stops it for good.
      ErrorCode code =
          errno == EADDRINUSE || errno == EADDRNOTAVAIL
              ? ErrorCode.INTERNAL
              : ErrorCode.CONFIG_INVALID;
      // The system's reason, without Netty's "bind(..) failed with error(-98): " before it.
      String reason = IoReasons.of(e).orElse("the bind failed");
      throw new PairdException(
          code,
          "cannot listen on " + configured + ": " + reason + bindHint(e, configured.port()),
          e);
    }
  }

  private static final int EADDRINUSE = 98;
  private static final int EADDRNOTAVAIL = 99;
  private static final int EACCES = 13;

  /** The errno of the native failure in {@code failure}'s causes; 0 if there is none. */
  private static int errno(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof Errors.NativeIoException nativeFailure) {
        return -nativeFailure.expectedErr();
      }
    }
    return 0;
  }

  /**
   * What to check after a failed bind, from the errno: another program only when the address is in
   * use, the capability only when a low port was refused, and nothing otherwise (an address the
   * host does not have is explained by the message itself).
   */
  static String bindHint(Throwable failure, int port) {
    int errno = errno(failure);
    if (errno == EADDRINUSE) {
      return " (is another program using it?)";
    }
    if (errno == EACCES && port < 1024) {
      return " (ports below 1024 need CAP_NET_BIND_SERVICE)";
    }
    return "";
  }

  private static boolean ipv6Unavailable(PairdException e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (message.contains("Address family not supported")
          || message.contains("EAFNOSUPPORT")
          || message.contains("Cannot assign requested address")) {
        return true;
      }
    }
    return false;
  }

  /** The bound address (with the actual port). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** The connections open now. */
  PairingLoad load() {
    return connections.load();
  }

  /** Stops accepting; connections in progress are closed with the event loops. */
  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
