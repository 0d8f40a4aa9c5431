package dev.paird.ctl;

import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.api.SocketFile;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Turns a failed connect to paird's socket into the error a person can act on.
 *
 * <p>What the JDK (17) throws when connecting a Unix-domain {@code SocketChannel}:
 *
 * <ul>
 *   <li>no such file, or no such directory on the way: {@code SocketException} "No such file or
 *       directory" (ENOENT);
 *   <li>a socket nobody listens on (a daemon crashed and left it), a regular file, a directory:
 *       {@code ConnectException} "Connection refused" (ECONNREFUSED);
 *   <li>no write permission on the socket or no search permission on a directory: {@code
 *       BindException} "Permission denied", because the JDK maps EACCES to BindException;
 *   <li>a path longer than sun_path: {@code SocketException} "Unix domain path too long".
 * </ul>
 *
 * Only the exception types and the JDK's own "path too long" text are relied on; the file system
 * (see {@link SocketFile}) tells a missing socket from one this user may not open.
 */
final class ConnectFailure {
  /** Where the JDK refuses a path that does not fit in sun_path; its own text, not errno's. */
  private static final String PATH_TOO_LONG = "path too long";

  /** The group that package installs give the socket, for advice when the real one is unknown. */
  private static final String USUAL_GROUP = "paird";

  private ConnectFailure() {}

  static PairdException classify(Path socket, IOException failure, SocketFile file) {
    if (failure instanceof ConnectException) {
      if (file.kind() == SocketFile.Kind.NOT_A_SOCKET) {
        return unreachable(
            socket
                + " is not a socket; point --socket or PAIRD_SOCKET at"
                + " paird's control socket");
      }
      return unreachable(
          "nothing is listening on "
              + socket
              + "; paird may have crashed"
              + " (see 'systemctl status paird' and 'journalctl -u paird')");
    }
    if (failure instanceof BindException
        || file.kind() == SocketFile.Kind.HIDDEN
        || (file.kind() == SocketFile.Kind.SOCKET && !file.writable())) {
      return permissionDenied(
          socket, file.kind() == SocketFile.Kind.HIDDEN ? Optional.empty() : file.group());
    }
    String message = failure.getMessage() == null ? failure.toString() : failure.getMessage();
    if (message.contains(PATH_TOO_LONG)) {
      return new PairdException(
          ErrorCode.USAGE,
          "the socket path "
              + socket
              + " is too long"
              + " for a Unix socket (at most "
              + SocketFile.MAX_PATH_BYTES
              + " bytes); choose a"
              + " shorter one",
          failure);
    }
    if (file.kind() == SocketFile.Kind.MISSING) {
      return notRunning(socket);
    }
    return unreachable("cannot connect to " + socket + ": " + message);
  }

  /**
   * The failure to find where {@code socket} leads, links resolved, before connecting: what
   * connecting would have met, in the same words.
   */
  static PairdException unresolved(Path socket, IOException failure) {
    if (failure instanceof NoSuchFileException) {
      return notRunning(socket);
    }
    if (failure instanceof AccessDeniedException) {
      return permissionDenied(socket, Optional.empty());
    }
    return unreachable("cannot connect to " + socket + ": " + FileProblems.reason(failure));
  }

  private static PairdException notRunning(Path socket) {
    return unreachable(
        "paird is not running (no socket at "
            + socket
            + "); start it with"
            + " 'systemctl start paird' or point --socket/PAIRD_SOCKET at the right socket");
  }

  /**
   * Whether connecting may work in a moment: the socket is there, this user may write it, and yet
   * the connect failed, and not because nobody listens. That is paird's backlog of connections not
   * yet accepted being full, which a non-blocking connect reports as EAGAIN.
   */
  static boolean isTransient(IOException failure, SocketFile file) {
    String message = failure.getMessage() == null ? "" : failure.getMessage();
    return !(failure instanceof ConnectException)
        && !(failure instanceof BindException)
        && file.kind() == SocketFile.Kind.SOCKET
        && file.writable()
        && !message.contains(PATH_TOO_LONG);
  }

  private static PairdException unreachable(String message) {
    return new PairdException(ErrorCode.DAEMON_UNREACHABLE, message);
  }

  private static PairdException permissionDenied(Path socket, Optional<String> group) {
    String advice;
    if (group.isEmpty()) {
      advice =
          "ask an administrator to add you to the socket's group (usually '"
              + USUAL_GROUP
              + "': sudo usermod -aG "
              + USUAL_GROUP
              + " $USER, then log in again)";
    } else if (group.get().equals("root")) {
      advice =
          "its group is 'root': run pairctl as root, or ask an administrator to set"
              + " socket_group in paird's configuration to a group you are in";
    } else {
      advice =
          "ask an administrator to add you to the socket's group ('"
              + group.get()
              + "': sudo usermod -aG "
              + group.get()
              + " $USER, then log in again)";
    }
    return new PairdException(
        ErrorCode.PERMISSION_DENIED, "you may not use " + socket + "; " + advice);
  }
}
