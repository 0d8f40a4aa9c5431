package dev.paird.control;

import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket: a Unix stream socket served by Netty's native epoll transport, mode 0660,
 * owned by the configured group, and checked per connection by {@link ControlAccess}. Closing it
 * removes the socket file.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

  /**
   * How many bytes of answers paird keeps for a connection beyond what its socket's buffer holds;
   * past it, paird runs and reads no more of that connection's requests until the client has read
   * enough (docs/CONTROL.md, "Framing"). Half of it is where it serves on again.
   */
  public static final int UNREAD_ANSWER_BYTES = 64 * 1024;

  private final Path socket;
  private final Channel channel;

  /** Where the socket was moved to: {@code socket} in its directory's real path. */
  private final Path placed;

  /** The socket file's device and inode: what tells it from a socket put in its place since. */
  private final Object identity;

  private ControlServer(Path socket, Channel channel, Path placed, Object identity) {
    this.socket = socket;
    this.channel = channel;
    this.placed = placed;
    this.identity = identity;
  }

  /**
   * Binds {@code socket} and starts serving.
   *
   * <p>The socket never exists at {@code socket} with a mode wider than its final one. A bound
   * socket file gets its mode from the process umask, which a JVM cannot set, and a hand-started
   * paird may run with umask 022 (a world-connectable socket until a chmod). So it is bound in a
   * fresh directory of mode 0700 beside its final path, where nobody but paird's user can reach it,
   * given its group and mode 0660 there, and only then renamed into place: rename(2) moves the
   * same, already restricted, socket atomically, and connections find it by that path.
   *
   * @param requestTimeout how long a connection has to complete each request line
   * @throws PairdException if another paird holds the socket, the path is unusable, or the group
   *     does not exist
   */
  /**
   * Refuses if another daemon already serves {@code socket}, before start-up generates an identity
   * or binds anything; {@link #start} checks again when it binds.
   *
   * @throws PairdException ALREADY_RUNNING if a daemon answers on it
   */
  public static void refuseIfServed(Path socket) throws PairdException {
    SocketFiles.refuseIfServed(socket);
  }

  /**
   * Refuses a socket path whose directory, or one above it, users other than root and paird's own
   * may write to or own, before start-up does any work; {@link #start} checks again when it binds.
   *
   * @throws PairdException CONFIG_INVALID naming the directory, its owner and mode, and the fix
   */
  public static void checkSocketDirectory(Path socket) throws PairdException {
    SocketFiles.checkDirectory(socket);
  }

  public static ControlServer start(
      EventLoopGroup boss,
      EventLoopGroup workers,
      Path socket,
      Optional<String> socketGroup,
      ControlService service,
      int maxConnections,
      java.time.Duration requestTimeout)
      throws PairdException {
    Path placed = SocketFiles.prepare(socket);
    // Until the socket's owner and group are known, the check lets only root in; nobody else
    // can reach the socket in its private directory anyway.
    AtomicReference<ControlAccess> access = new AtomicReference<>(ControlAccess.ROOT_ONLY);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(EpollServerDomainSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 16)
            // A client that shuts down its side after its requests (nc -N, socat) is still
            // answered: ControlHandler ends the connection once it has.
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            // A client that reads none of its answers gets no more run (ControlHandler).
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(UNREAD_ANSWER_BYTES / 2, UNREAD_ANSWER_BYTES))
            .childHandler(
                new ControlChannelInitializer(
                    service,
                    maxConnections,
                    requestTimeout,
                    ControlServer::credentials,
                    access::get));
    Path privateDir = SocketFiles.privateDirectory(placed);
    Path bound = privateDir.resolve(SocketFiles.PRIVATE_NAME);
    Channel channel;
    try {
      channel = bootstrap.bind(new DomainSocketAddress(bound.toString())).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      SocketFiles.removeQuietly(privateDir);
      throw new PairdException(ErrorCode.INTERNAL, "interrupted while binding " + socket);
    } catch (Exception e) {
      SocketFiles.removeQuietly(privateDir);
      // The path and its directory were checked above, so this is the system refusing (out of
      // memory or descriptors): not the configuration, and worth a retry. Netty's text goes to
      // the log only.
      log.error("cannot bind the control socket {}", bound, e);
      throw new PairdException(
          ErrorCode.INTERNAL,
          "cannot listen on the control socket " + socket + "; the log above says why",
          e);
    }
    Object identity;
    try {
      access.set(SocketFiles.restrict(bound, socketGroup));
      // rename(2) keeps the inode: this is the identity of the socket at its final path.
      identity = identityOf(bound);
      SocketFiles.moveIntoPlace(bound, placed);
    } catch (PairdException e) {
      channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
      SocketFiles.removeQuietly(privateDir);
      throw e;
    }
    SocketFiles.removeQuietly(privateDir);
    log.info("control socket {} ready", socket);
    return new ControlServer(socket, channel, placed, identity);
  }

  private static Object identityOf(Path bound) throws PairdException {
    try {
      return SocketFiles.identity(bound);
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.INTERNAL,
          "cannot read the device and inode of the control socket "
              + bound
              + ": "
              + FileProblems.reason(e, bound),
          e);
    }
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

  /**
   * Stops accepting and removes the socket file, if it is still the one paird bound: a socket that
   * has taken its place since (a new paird's, or one a test or an administrator put there) is not
   * paird's to remove. Between the look and the removal only root and paird's user could swap it,
   * as nobody else may write to its directory. Open connections are closed by the group.
   */
  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    try {
      if (!identity.equals(SocketFiles.identity(placed))) {
        log.info("left {} in place: it is no longer the socket this paird bound", socket);
        return;
      }
      Files.delete(placed);
    } catch (NoSuchFileException e) {
      // Removed already, by whoever moved it.
    } catch (IOException e) {
      log.warn("cannot remove the control socket {}: {}", socket, e.getMessage());
    }
  }
}
