package dev.paird.ctl;

import dev.paird.api.ControlProtocol;
import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.api.WritableDirectories;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;
import jdk.net.ExtendedSocketOptions;

/**
 * A control socket that pairctl may talk to: one that nobody but root, the user running pairctl and
 * the owner of the socket's directory (paird's user) could have put at its path. Whoever else could
 * would receive what pairctl sends, the key of a pair among it, and answer what they like. The rule
 * is in docs/CONTROL.md, "Who pairctl talks to":
 *
 * <ul>
 *   <li>the socket's path is resolved, links included, and connected to as resolved, so that a link
 *       someone points elsewhere later leads nowhere pairctl connects;
 *   <li>its directory and every directory above it belong to root, to the caller or to the owner of
 *       the socket's directory, and none is writable by its group or other users, but for a sticky
 *       directory (as {@code /tmp}) above the socket's directory; a directory lying in such a
 *       sticky one must belong to root or to the caller, as anyone may make one there;
 *   <li>the process listening on it, as the kernel reports it ({@code SO_PEERCRED}), runs as root
 *       or as the owner of the socket's directory.
 * </ul>
 *
 * <p>It does not guarantee that the socket is the paird the caller meant: the owner of the socket's
 * directory is trusted, as the caller chose that path. It checks every connection, not only those
 * that carry a key: an answer from another user's stand-in could mislead as much (the host to pair
 * with that new-key shows, say).
 */
final class CheckedSocket {
  private static final Path PROC_SELF = Path.of("/proc/self");

  private final Path socket;
  private final Path real;
  private final Path directory;
  private final int directoryOwner;

  private CheckedSocket(Path socket, Path real, Path directory, int directoryOwner) {
    this.socket = socket;
    this.real = real;
    this.directory = directory;
    this.directoryOwner = directoryOwner;
  }

  /**
   * Resolves {@code socket} and checks its directories.
   *
   * @throws PairdException {@code permission_denied} if someone else could have put a socket there,
   *     naming the directory, its owner and mode; otherwise what connecting would have failed with,
   *     where the path cannot be resolved
   */
  static CheckedSocket check(Path socket) throws PairdException {
    try {
      Path real = resolve(socket.toAbsolutePath());
      Path directory = real.getParent() == null ? real : real.getParent();
      int self = (Integer) Files.getAttribute(PROC_SELF, "unix:uid");
      int owner = (Integer) Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      Optional<WritableDirectories.Flaw> flaw =
          WritableDirectories.check(
              directory,
              WritableDirectories.rootOr(self, owner),
              WritableDirectories.rootOr(self),
              false);
      if (flaw.isPresent()) {
        throw refused(socket, flaw.get(), self, owner);
      }
      return new CheckedSocket(socket, real, directory, owner);
    } catch (IOException e) {
      throw ConnectFailure.unresolved(socket, e);
    }
  }

  /**
   * {@code absolute} with every link resolved, its own last name's too; if nothing is there, its
   * name in its directory's real path.
   */
  private static Path resolve(Path absolute) throws IOException {
    try {
      return absolute.toRealPath();
    } catch (NoSuchFileException e) {
      Path real = absolute.getParent().toRealPath().resolve(absolute.getFileName());
      if (Files.isSymbolicLink(real)) {
        // A link to nothing: where it leads is not checked, and nothing is there to talk to.
        throw e;
      }
      return real;
    }
  }

  /** Where to connect: the socket's path, links resolved. */
  Path path() {
    return real;
  }

  /**
   * Checks who listens on the socket {@code channel} is connected to: root or the owner of the
   * socket's directory, else nobody pairctl should send anything to.
   *
   * @throws PairdException {@code permission_denied} naming the user it runs as
   */
  void checkServer(SocketChannel channel) throws PairdException {
    UserPrincipal server;
    UserPrincipal root;
    UserPrincipal owner;
    try {
      server = channel.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
      // The JDK takes a name it cannot find as a uid, and no user may be named "0".
      root = real.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("0");
      owner = Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException | UnsupportedOperationException e) {
      throw new PairdException(
          ErrorCode.PERMISSION_DENIED,
          "will not use "
              + socket
              + ": cannot read which user the process listening on it runs as ("
              + (e instanceof IOException io ? FileProblems.reason(io) : "not supported here")
              + ")",
          e);
    }
    if (server.equals(root) || server.equals(owner)) {
      return;
    }
    throw new PairdException(
        ErrorCode.PERMISSION_DENIED,
        "will not use "
            + socket
            + ": the process listening on it runs as "
            + server.getName()
            + ", neither root nor the owner of "
            + directory
            + " (uid "
            + directoryOwner
            + "), so it is no paird of that directory and would receive what pairctl sends, keys"
            + " included; 'ss -xlp' names the process listening there");
  }

  private static PairdException refused(
      Path socket, WritableDirectories.Flaw flaw, int self, int owner) {
    Path dir = flaw.directory();
    String where = flaw.first() ? "its directory " + dir : "the directory " + dir + " above it";
    // chmod would be wrong advice for a sticky directory: it is shared on purpose, as /tmp is.
    boolean shared = (flaw.mode() & 01000) != 0;
    String problem;
    if (flaw.inShared()) {
      problem =
          where
              + " belongs to uid "
              + flaw.owner()
              + ", neither root nor you (uid "
              + self
              + "), and lies in "
              + dir.getParent()
              + ", a sticky directory where anyone may make a directory of their own: its owner"
              + " could have made it to put a socket of their own at the socket's path";
    } else if (flaw.foreignOwner()) {
      problem =
          where
              + " belongs to neither root, you (uid "
              + self
              + ") nor the owner of the socket's directory (uid "
              + owner
              + ")"
              + flaw.state()
              + ", and its owner could put a socket of their own in the socket's place";
    } else {
      problem =
          where
              + " may be written to by "
              + flaw.writers()
              + flaw.state()
              + ", and any of them could put a socket of their own in its place"
              + (shared ? " while paird is stopped" : "");
    }
    return new PairdException(
        ErrorCode.PERMISSION_DENIED,
        "will not use "
            + socket
            + ": "
            + problem
            + " and receive what pairctl sends, keys included; point --socket or PAIRD_SOCKET at"
            + " paird's socket in a directory that only root or paird's user may write to, such"
            + " as "
            + ControlProtocol.DEFAULT_SOCKET
            + (flaw.foreignOwner() || shared
                ? ""
                : ", or have the directory's owner run `chmod go-w " + dir + "`"));
  }
}
