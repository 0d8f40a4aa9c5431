package dev.paird.control;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket: a Unix stream socket served by Netty's native epoll transport, mode 0660,
 * owned by the configured group. Closing it removes the socket file.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

  private final Path socket;
  private final Channel channel;

  private ControlServer(Path socket, Channel channel) {
    this.socket = socket;
    this.channel = channel;
  }

  /**
   * Binds {@code socket} and starts serving.
   *
   * @throws PairdException if another paird holds the socket, the path is unusable, or the
   *     group does not exist
   */
  public static ControlServer start(
      EventLoopGroup boss,
      EventLoopGroup workers,
      Path socket,
      Optional<String> socketGroup,
      ControlService service,
      int maxConnections,
      java.time.Duration idleTimeout)
      throws PairdException {
    SocketFiles.prepare(socket);
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(boss, workers)
        .channel(EpollServerDomainSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 16)
        .childHandler(new ControlChannelInitializer(
            service, maxConnections, idleTimeout, ControlServer::credentials));
    Channel channel;
    try {
      channel = bootstrap.bind(new DomainSocketAddress(socket.toString())).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PairdException(ErrorCode.INTERNAL, "interrupted while binding " + socket);
    } catch (Exception e) {
      throw new PairdException(ErrorCode.CONFIG_INVALID,
          "cannot listen on the control socket " + socket + ": " + e.getMessage(), e);
    }
    ControlServer server = new ControlServer(socket, channel);
    try {
      SocketFiles.restrict(socket, socketGroup);
    } catch (PairdException e) {
      server.close();
      throw e;
    }
    log.info("control socket {} ready", socket);
    return server;
  }

  private static Caller credentials(Channel channel) {
    if (channel instanceof EpollDomainSocketChannel domain) {
      try {
        PeerCredentials credentials = domain.peerCredentials();
        int[] gids = credentials.gids();
        return new Caller(credentials.uid(), gids.length > 0 ? gids[0] : -1, credentials.pid());
      } catch (IOException e) {
        log.warn("cannot read the credentials of a control connection", e);
      }
    }
    return Caller.UNKNOWN;
  }

  /** The socket's path. */
  public Path socket() {
    return socket;
  }

  /** Stops accepting and removes the socket file. Open connections are closed by the group. */
  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      log.warn("cannot remove the control socket {}: {}", socket, e.getMessage());
    }
  }
}
