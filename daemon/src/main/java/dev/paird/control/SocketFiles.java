package dev.paird.control;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Optional;

/** Preparing the control socket's path before bind, and its ownership and mode after. */
final class SocketFiles {
  private SocketFiles() {}

  /**
   * Makes {@code socket} free to bind: creates its directory, replaces a stale socket left by a
   * crashed daemon, and refuses if a live daemon answers on it or the path is not a socket.
   */
  static void prepare(Path socket) throws PairdException {
    Path dir = socket.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new PairdException(ErrorCode.CONFIG_INVALID,
          "cannot create the socket's directory " + dir + ": " + e.getMessage(), e);
    }
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!isSocket(socket)) {
      throw new PairdException(ErrorCode.CONFIG_INVALID,
          socket + " exists and is not a socket; move it away or choose another socket path");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(socket));
      throw new PairdException(ErrorCode.ALREADY_RUNNING,
          "another paird is already serving " + socket + "; stop it first (systemctl stop paird)"
              + " or give this one another --socket");
    } catch (ConnectException e) {
      // Nobody listens: a crashed daemon left it behind.
      try {
        Files.delete(socket);
      } catch (IOException deleteFailure) {
        throw new PairdException(ErrorCode.CONFIG_INVALID,
            "cannot remove the stale socket " + socket + ": " + deleteFailure.getMessage(),
            deleteFailure);
      }
    } catch (IOException e) {
      throw new PairdException(ErrorCode.CONFIG_INVALID,
          "cannot check whether " + socket + " is in use: " + e.getMessage(), e);
    }
  }

  /** Gives the bound socket its group (if configured) and then mode 0660. */
  static void restrict(Path socket, Optional<String> group) throws PairdException {
    try {
      if (group.isPresent()) {
        GroupPrincipal principal = socket.getFileSystem().getUserPrincipalLookupService()
            .lookupPrincipalByGroupName(group.get());
        Files.getFileAttributeView(socket, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setGroup(principal);
      }
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
    } catch (UserPrincipalNotFoundException e) {
      throw new PairdException(ErrorCode.CONFIG_INVALID,
          "socket_group: there is no group named '" + group.orElse("") + "' on this system;"
              + " create it (groupadd " + group.orElse("") + ") or change socket_group");
    } catch (IOException e) {
      throw new PairdException(ErrorCode.CONFIG_INVALID,
          "cannot set the owner group or mode of " + socket + ": " + e.getMessage(), e);
    }
  }

  private static boolean isSocket(Path path) {
    try {
      Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return mode instanceof Integer m && (m & 0170000) == 0140000;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
