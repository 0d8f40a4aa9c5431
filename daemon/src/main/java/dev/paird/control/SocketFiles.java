package dev.paird.control;

import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.api.SocketFile;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.SecureRandom;
import java.util.Optional;

/**
 * Preparing the control socket's path before bind, binding it out of reach, its ownership and mode
 * after, and moving it into place.
 */
final class SocketFiles {
  private SocketFiles() {}

  /**
   * Makes {@code socket} free to bind: creates its directory, replaces a stale socket left by a
   * crashed daemon, and refuses if a live daemon answers on it or the path is not a socket.
   */
  static void prepare(Path socket) throws PairdException {
    Path dir = socket.toAbsolutePath().getParent();
    try {
      // 0755 from their creation, whatever the umask: pairctl's users must reach the socket, and
      // nobody else may write there, where they could put their own socket in its place.
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "cannot create the socket's directory " + dir + ": " + FileProblems.reason(e, dir),
          e);
    }
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (SocketFile.probe(socket, LinkOption.NOFOLLOW_LINKS).kind() != SocketFile.Kind.SOCKET) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          socket + " exists and is not a socket; move it away or choose another socket path");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(socket));
      throw alreadyServed(socket);
    } catch (ConnectException e) {
      // Nobody listens: a crashed daemon left it behind.
      try {
        Files.delete(socket);
      } catch (IOException deleteFailure) {
        throw new PairdException(
            ErrorCode.CONFIG_INVALID,
            "cannot remove the stale socket "
                + socket
                + ": "
                + FileProblems.reason(deleteFailure, socket),
            deleteFailure);
      }
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "cannot check whether " + socket + " is in use: " + FileProblems.reason(e, socket),
          e);
    }
  }

  /**
   * Refuses, without changing anything, if a live daemon answers on {@code socket}: the check that
   * {@link #prepare} makes, made before start-up does any work or writes anything.
   */
  static void refuseIfServed(Path socket) throws PairdException {
    if (SocketFile.probe(socket, LinkOption.NOFOLLOW_LINKS).kind() != SocketFile.Kind.SOCKET) {
      return; // absent, or not a socket: prepare says what is wrong with it
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return; // nobody answers (a stale socket) or it cannot be reached: prepare decides
    }
    throw alreadyServed(socket);
  }

  private static PairdException alreadyServed(Path socket) {
    return new PairdException(
        ErrorCode.ALREADY_RUNNING,
        "another paird is already serving "
            + socket
            + "; stop it first (systemctl stop paird)"
            + " or give this one another --socket");
  }

  /** The socket's name inside its private directory: short, as sun_path is. */
  static final String PRIVATE_NAME = "s";

  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * A new directory of mode 0700 beside {@code socket}, on the same file system so that the socket
   * bound in it can be renamed into place. Its name is short, so that a socket path that fits
   * sun_path still fits with this directory in it.
   */
  static Path privateDirectory(Path socket) throws PairdException {
    Path dir = socket.toAbsolutePath().getParent();
    String letters = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int attempt = 0; ; attempt++) {
      StringBuilder name = new StringBuilder(".p");
      for (int i = 0; i < 6; i++) {
        name.append(letters.charAt(RANDOM.nextInt(letters.length())));
      }
      Path candidate = dir.resolve(name.toString());
      int length =
          candidate.resolve(PRIVATE_NAME).toString().getBytes(StandardCharsets.UTF_8).length;
      if (length > SocketFile.MAX_PATH_BYTES) {
        throw new PairdException(
            ErrorCode.CONFIG_INVALID,
            "socket: the directory of "
                + socket
                + " has too long a path: paird binds the socket first in a private directory there"
                + " ("
                + candidate.resolve(PRIVATE_NAME)
                + ", "
                + length
                + " bytes, at most "
                + SocketFile.MAX_PATH_BYTES
                + "); choose a socket in a directory with a shorter path");
      }
      try {
        // mkdir(2) with mode 0700: the umask can only narrow it.
        return Files.createDirectory(
            candidate,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 10) {
          throw new PairdException(
              ErrorCode.CONFIG_INVALID,
              "cannot create a private directory"
                  + " in "
                  + dir
                  + ": every name tried exists (last "
                  + candidate
                  + ")",
              e);
        }
      } catch (IOException e) {
        throw new PairdException(
            ErrorCode.CONFIG_INVALID,
            "cannot create a private directory for the control socket in "
                + dir
                + ": "
                + FileProblems.reason(e, candidate),
            e);
      }
    }
  }

  /**
   * Gives the bound socket its group (if configured) and then mode 0660, and returns who may use
   * it: root, the socket's owner (paird's user) and the members of its group.
   */
  static ControlAccess restrict(Path socket, Optional<String> group) throws PairdException {
    try {
      PosixFileAttributeView view =
          Files.getFileAttributeView(
              socket, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      if (group.isPresent()) {
        GroupPrincipal principal =
            socket
                .getFileSystem()
                .getUserPrincipalLookupService()
                .lookupPrincipalByGroupName(group.get());
        view.setGroup(principal);
      }
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
      int uid = (Integer) Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      int gid = (Integer) Files.getAttribute(socket, "unix:gid", LinkOption.NOFOLLOW_LINKS);
      String groupName = view.readAttributes().group().getName();
      return new ControlAccess(uid, gid, groupName, GroupMembership.system());
    } catch (UserPrincipalNotFoundException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "socket_group: there is no group named '"
              + group.orElse("")
              + "' on this system;"
              + " create it (groupadd "
              + group.orElse("")
              + ") or change socket_group");
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "cannot set the owner group or mode of the control socket "
              + socket
              + ": "
              + FileProblems.reason(e, socket),
          e);
    }
  }

  /** Renames the restricted socket to its final path, replacing whatever is there. */
  static void moveIntoPlace(Path bound, Path socket) throws PairdException {
    try {
      Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "cannot move the control socket into place at "
              + socket
              + ": "
              + FileProblems.reason(e, socket),
          e);
    }
  }

  /** Removes the private directory and whatever is left in it; failing to is not an error. */
  static void removeQuietly(Path privateDir) {
    try {
      Files.deleteIfExists(privateDir.resolve(PRIVATE_NAME));
      Files.deleteIfExists(privateDir);
    } catch (IOException e) {
      // A leftover empty directory of mode 0700 harms nobody; the next start makes another.
    }
  }
}
