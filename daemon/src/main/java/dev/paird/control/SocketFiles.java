package dev.paird.control;

import dev.paird.api.ControlProtocol;
import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.api.SocketFile;
import dev.paird.api.WritableDirectories;
import dev.paird.io.AtomicFiles;
import dev.paird.io.LocalFiles;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
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
   * Makes {@code socket} free to bind: checks who may write to its directory ({@link
   * #checkDirectory}), creates it, replaces a stale socket left by a crashed daemon, and refuses if
   * a live daemon answers on it or the path is not a socket.
   *
   * @return where the socket goes: {@code socket} in its directory's real path, the one checked, to
   *     bind, move and remove the socket by, so that a link on the way that someone points
   *     elsewhere later leads nowhere paird writes
   */
  static Path prepare(Path socket) throws PairdException {
    Path dir = socket.toAbsolutePath().getParent();
    checkDirectory(socket);
    try {
      // 0755 whatever the umask: pairctl's users must reach the socket, and nobody else may write
      // there, where they could put their own socket in its place.
      AtomicFiles.createDirectories(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "cannot create the socket's directory " + dir + ": " + FileProblems.reason(e, dir),
          e);
    }
    // Whoever made it first, if not paird, is found now.
    Path placed =
        checkDirectory(socket)
            .orElseThrow(
                () ->
                    new PairdException(
                        ErrorCode.CONFIG_INVALID,
                        "cannot create the socket's directory " + dir + ": it is not there"));
    if (!Files.exists(placed, LinkOption.NOFOLLOW_LINKS)) {
      return placed;
    }
    if (SocketFile.probe(placed, LinkOption.NOFOLLOW_LINKS).kind() != SocketFile.Kind.SOCKET) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          socket + " exists and is not a socket; move it away or choose another socket path");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(placed));
      throw alreadyServed(socket);
    } catch (ConnectException e) {
      // Nobody listens: a crashed daemon left it behind.
      try {
        Files.delete(placed);
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
    return placed;
  }

  /**
   * Refuses {@code socket} if users other than root and paird's own may write to its directory or
   * to one above it (links resolved), or own one: any of them could put a socket of their own at
   * the path and receive the keys that pairctl sends there. A sticky directory such as {@code /tmp}
   * is refused too as the socket's own: its entries cannot be taken from their owners, but the
   * socket's name is free whenever paird is stopped, and another user may take it then; above the
   * socket's directory it is allowed, as what lies below it on the path is checked to be root's or
   * paird's. So is a directory its group may write to: the group may hold pairctl's users, who may
   * use paird but not answer in its place. A directory of the path that does not exist yet is
   * checked once {@link #prepare} has made it; the one it will be made in must pass already.
   *
   * @return {@code socket} in its directory's real path, the one checked; empty if that directory
   *     does not exist yet
   * @throws PairdException {@code config_invalid}, naming the directory, its owner and mode, and
   *     the fix
   */
  static Optional<Path> checkDirectory(Path socket) throws PairdException {
    Path dir = socket.toAbsolutePath().getParent();
    Path existing = dir;
    try {
      int self = LocalFiles.processUid();
      Path real = null;
      while (real == null) {
        try {
          real = existing.toRealPath();
        } catch (FileSystemException e) {
          if (existing.getParent() == null) {
            throw e;
          }
        }
        if (real == null || !Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
          // Missing, or no directory to be reached (a file, no search permission): making it
          // fails with its own message; what it would be made in is checked here.
          real = null;
          existing = existing.getParent();
        }
      }
      Optional<WritableDirectories.Flaw> flaw =
          WritableDirectories.check(real, WritableDirectories.rootOr(self), !existing.equals(dir));
      if (flaw.isPresent()) {
        throw unsafe(socket, flaw.get(), flaw.get().first() && existing.equals(dir), self);
      }
      return existing.equals(dir)
          ? Optional.of(real.resolve(socket.getFileName()))
          : Optional.empty();
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "cannot check who may write to the directory of the control socket "
              + socket
              + ": "
              + FileProblems.reason(e, existing),
          e);
    }
  }

  /** {@code own}: whether the flawed directory is the socket's, not one above it. */
  private static PairdException unsafe(
      Path socket, WritableDirectories.Flaw flaw, boolean own, int self) {
    Path dir = flaw.directory();
    // chmod would be wrong advice for a sticky directory: it is shared on purpose, as /tmp is.
    boolean shared = !flaw.foreignOwner() && (flaw.mode() & 01000) != 0;
    return new PairdException(
        ErrorCode.CONFIG_INVALID,
        (own
                ? "the control socket's directory " + dir
                : "the directory " + dir + " above the control socket")
            + (flaw.foreignOwner()
                ? " belongs neither to root nor to uid "
                    + self
                    + " that paird runs as"
                    + flaw.state()
                    + ", and its owner"
                : " may be written to by " + flaw.writers() + flaw.state() + ", and any of them")
            + " could put a socket of their own at "
            + socket
            + (shared ? " while paird is stopped" : "")
            + " and receive the keys that pairctl sends to paird; "
            + (flaw.foreignOwner() || shared
                ? ""
                : "run `chmod go-w " + dir + "` if nobody else needs to write there, or ")
            + "choose a socket path in a directory that only root or paird's user may write to,"
            + " such as "
            + ControlProtocol.DEFAULT_SOCKET);
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

  /**
   * The device and inode of the file at {@code socket}, not following a link, as an object that
   * equals another's only for the same file.
   *
   * @throws NoSuchFileException if nothing is there
   */
  static Object identity(Path socket) throws IOException {
    return Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .fileKey();
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
