package dev.paird.io;

import dev.paird.api.WritableDirectories;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Checks on the files paird keeps for itself, against other local users and damaged systems: a
 * state directory only paird's user can change, and state files read only when they are regular
 * files reached without following a symbolic link.
 *
 * <p>Java cannot open a file with {@code O_NONBLOCK}, so a FIFO is recognised from its attributes
 * before the file is opened. Between the check and the open another process could put a FIFO or a
 * link in its place; that takes write access to the directory, which {@link #checkPrivateDirectory}
 * has just limited to paird's own user and root, who need no such trick.
 */
public final class LocalFiles {
  private static final Path PROC_SELF = Path.of("/proc/self");

  /** A file or directory paird refuses to use; the reason says why and what fixes it. */
  public static final class UnsafeFileException extends FileSystemException {
    private static final long serialVersionUID = 1L;

    public UnsafeFileException(Path file, String reason) {
      super(file.toString(), null, reason);
    }
  }

  private LocalFiles() {}

  /** The effective user id of this process: the owner the kernel gives {@code /proc/self}. */
  public static int processUid() throws IOException {
    return (Integer) Files.getAttribute(PROC_SELF, "unix:uid");
  }

  /**
   * Checks that {@code dir} is a directory owned by this process's user that no other user can
   * write to: whoever can write there can replace the trusted list or the device's key.
   *
   * @throws UnsafeFileException naming the owner or mode and the command that fixes it
   */
  public static void checkPrivateDirectory(Path dir) throws IOException {
    PosixFileAttributes attributes = Files.readAttributes(dir, PosixFileAttributes.class);
    if (!attributes.isDirectory()) {
      throw new UnsafeFileException(dir, "not a directory");
    }
    int owner = (Integer) Files.getAttribute(dir, "unix:uid");
    int self = processUid();
    if (owner != self) {
      throw new UnsafeFileException(
          dir,
          "it is owned by "
              + attributes.owner().getName()
              + " (uid "
              + owner
              + "), not by uid "
              + self
              + " that paird runs as, so another user"
              + " controls what paird trusts; run `chown -R "
              + self
              + " "
              + dir
              + "` or give paird"
              + " a state directory of its own");
    }
    Set<PosixFilePermission> permissions = attributes.permissions();
    if (permissions.contains(PosixFilePermission.GROUP_WRITE)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new UnsafeFileException(
          dir,
          "other users can write to it (mode "
              + mode(attributes)
              + "), and so replace the trusted list or the device's key; run `chmod 700 "
              + dir
              + "`");
    }
  }

  /**
   * Checks the directories above {@code dir}, which may not exist yet: those above the path as
   * given, from the nearest that exists, and, if {@code dir} is a link, those above where it leads,
   * links resolved in both. Each must belong to root or to this process's user, and neither its
   * group nor other users may write to it, but for a sticky directory such as {@code /tmp}, whose
   * entries only their owners may rename. Whoever else may write to one of them may rename the
   * directory below it away and put one of their own, or a link, in its place: at the next start
   * paird would read another trusted list, or make a new identity and an empty list. {@code dir}
   * itself is {@link #checkPrivateDirectory}'s to check.
   *
   * @throws UnsafeFileException naming the directory, its owner and mode, and the fix
   */
  public static void checkDirectoriesAbove(Path dir) throws IOException {
    Path existing = dir.toAbsolutePath().getParent();
    while (existing != null && !Files.isDirectory(existing)) {
      existing = existing.getParent();
    }
    if (existing != null) {
      checkDirectoriesFrom(dir, existing.toRealPath());
    }
    if (Files.isSymbolicLink(dir)) {
      Path target = dir.toRealPath().getParent();
      if (target != null) {
        checkDirectoriesFrom(dir, target);
      }
    }
  }

  private static void checkDirectoriesFrom(Path dir, Path real) throws IOException {
    int self = processUid();
    Optional<WritableDirectories.Flaw> found =
        WritableDirectories.check(real, WritableDirectories.rootOr(self), true);
    if (found.isEmpty()) {
      return;
    }
    WritableDirectories.Flaw flaw = found.get();
    throw new UnsafeFileException(
        dir,
        "the directory "
            + flaw.directory()
            + " above it "
            + (flaw.foreignOwner()
                ? "belongs neither to root nor to uid "
                    + self
                    + " that paird runs as"
                    + flaw.state()
                    + ", and its owner"
                : "may be written to by " + flaw.writers() + flaw.state() + ", and any of them")
            + " could rename the state directory away and put one of their own in its place; "
            + (flaw.foreignOwner()
                ? ""
                : "run `chmod go-w "
                    + flaw.directory()
                    + "` if nobody else needs to write there, or ")
            + "give paird a state directory in one that only root or uid "
            + self
            + " may write to");
  }

  /**
   * Reads at most {@code maxBytes + 1} bytes of {@code file}, which must be a regular file; a
   * symbolic link is refused, not followed. Empty if the file does not exist.
   *
   * @throws UnsafeFileException if {@code file} is a link, a FIFO, a directory or any other kind of
   *     file
   */
  public static Optional<byte[]> readRegularFile(Path file, int maxBytes) throws IOException {
    PosixFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    checkRegular(file, attributes);
    // NOFOLLOW_LINKS opens with O_NOFOLLOW: a link put in place since the check fails (ELOOP).
    try (InputStream in =
        Channels.newInputStream(
            Files.newByteChannel(
                file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)))) {
      return Optional.of(in.readNBytes(maxBytes + 1));
    }
  }

  /**
   * Whether {@code dir} is a directory, not followed if it is a link: false if nothing is there.
   *
   * @throws UnsafeFileException if something else is there, a link to a directory included: a
   *     directory among paird's own files that is a link would take paird's writes and deletions
   *     wherever it points
   */
  public static boolean isOwnDirectory(Path dir) throws IOException {
    PosixFileAttributes attributes;
    try {
      attributes = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (attributes.isDirectory()) {
      return true;
    }
    throw new UnsafeFileException(
        dir,
        attributes.isSymbolicLink()
            ? "it is a symbolic link, which paird does not follow among its own files"
            : "it is not a directory");
  }

  /** Refuses {@code file} unless its attributes say it is a regular file. */
  public static void checkRegular(Path file, PosixFileAttributes attributes)
      throws UnsafeFileException {
    if (attributes.isRegularFile()) {
      return;
    }
    String kind =
        attributes.isSymbolicLink()
            ? "a symbolic link, which paird does not follow" + " among its own files"
            : attributes.isDirectory()
                ? "a directory"
                : "not a regular file (a FIFO, socket or device)";
    throw new UnsafeFileException(file, "it is " + kind);
  }

  /**
   * Checks a file that configures paird, found at {@code real} (links resolved), and every
   * directory above it: whoever may change the file, or put another in its place, decides who may
   * use paird's control socket and which key it presents. Each must belong to root or to this
   * process's user, and no other user may write to it, but for a sticky directory such as {@code
   * /tmp}. A group that may write is allowed, since a user's own group often may, and returned as a
   * warning to log.
   *
   * <p>The file may be of any kind: a FIFO's writers decide what paird reads as much as a regular
   * file's do. A character device that root owns is the one exception to the rule on who may write:
   * what reading {@code /dev/null} or {@code /dev/zero} returns is its driver's, not what other
   * users write to it.
   *
   * @return warnings, one per group-writable file or directory
   * @throws UnsafeFileException naming the file or directory, its owner or mode, and the fix
   */
  public static List<String> checkConfiguration(Path real) throws IOException {
    return checkConfiguration(real, true);
  }

  /**
   * Checks, as {@link #checkConfiguration(Path)} checks a file and the directories above it, a file
   * that has no name, reached through {@code link}, a link of {@code /proc} that {@link
   * #unnamedFileLink} found: the file that the link leads to, and the directories above the link.
   *
   * @return warnings, one if the file's group may write to it
   * @throws UnsafeFileException naming the file, its owner or mode, and the fix
   */
  public static List<String> checkUnnamedConfiguration(Path link) throws IOException {
    return checkConfiguration(link, false);
  }

  /**
   * The link of {@code /proc} through which {@code path} leads to a file that has no name, such as
   * the pipe of the shell's {@code <(...)}: {@code /dev/fd/63} leads to {@code /proc/PID/fd/63},
   * which names {@code pipe:[123]}, where nothing is. Found by resolving every other link on the
   * way, so that opening it opens that file even if one of those links is replaced meanwhile.
   *
   * @throws NoSuchFileException if {@code path} leads nowhere
   */
  public static Path unnamedFileLink(Path path) throws IOException {
    Path at = path.toAbsolutePath();
    // As many links as Linux follows in one path before it gives up (ELOOP).
    for (int links = 0; links <= 40; links++) {
      Path parent = at.getParent();
      Path link = parent == null ? at : parent.toRealPath().resolve(at.getFileName());
      if (!Files.isSymbolicLink(link)) {
        return link;
      }
      Path target = link.getParent().resolve(Files.readSymbolicLink(link));
      if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        Files.readAttributes(link, PosixFileAttributes.class); // NoSuchFileException if dangling
        return link;
      }
      at = target;
    }
    throw new FileSystemException(path.toString(), null, "too many levels of symbolic links");
  }

  private static List<String> checkConfiguration(Path file, boolean named) throws IOException {
    int self = processUid();
    List<String> warnings = new ArrayList<>();
    for (Path path = file; path != null; path = path.getParent()) {
      // A file without a name is known only through its link, which has to be followed.
      LinkOption[] links =
          path.equals(file) && !named
              ? new LinkOption[0]
              : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
      checkConfiguration(file, path, named || !path.equals(file), self, warnings, links);
    }
    return warnings;
  }

  /** The file type bits of {@code unix:mode} ({@code S_IFMT}), and a character device's. */
  private static final int TYPE_BITS = 0170000;

  private static final int CHARACTER_DEVICE = 0020000;

  /**
   * Checks {@code path}, which is {@code file} itself or a directory above it; the fix a message
   * names is a command on {@code path} if {@code named}, and otherwise another file.
   */
  private static void checkConfiguration(
      Path file, Path path, boolean named, int self, List<String> warnings, LinkOption... links)
      throws IOException {
    boolean isFile = path.equals(file);
    PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class, links);
    int owner = (Integer) Files.getAttribute(path, "unix:uid", links);
    int bits = (Integer) Files.getAttribute(path, "unix:mode", links);
    String what = isFile ? "it" : "the directory " + path + " above it";
    String state = " (owner " + attributes.owner().getName() + ", mode " + mode(attributes) + ")";
    if (owner != 0 && owner != self) {
      throw new UnsafeFileException(
          file,
          what
              + " belongs neither to root nor to uid "
              + self
              + " that paird runs as"
              + state
              + ", so its owner decides who may use paird's control socket and which key it"
              + " presents; "
              + fix(named, "chown root", path));
    }
    if (isFile && owner == 0 && (bits & TYPE_BITS) == CHARACTER_DEVICE) {
      return;
    }
    boolean sticky = (bits & 01000) != 0;
    if (sticky && !isFile) {
      return;
    }
    if ((bits & 0002) != 0) {
      throw new UnsafeFileException(
          file,
          "every user may "
              + (isFile ? "change it" : "write to " + what)
              + state
              + (isFile ? ", and so decide" : ", and so put another file in its place, deciding")
              + " who may use paird's control socket and which key it presents; "
              + fix(named, "chmod o-w", path));
    }
    if ((bits & 0020) != 0) {
      warnings.add(
          "every member of the group "
              + attributes.group().getName()
              + " may "
              + (isFile ? "change it" : "write to " + what)
              + state
              + ", and so decide who may use paird's control socket and which key it presents;"
              + " unless the group is yours alone, "
              + fix(named, "chmod g-w", path));
    }
  }

  /** Run {@code command} on {@code path}; or, for a file without a name, use another. */
  private static String fix(boolean named, String command, Path path) {
    return named
        ? "run `" + command + " " + path + "`"
        : "give paird a config file that root or its own user owns";
  }

  /** The permission bits as {@code ls} and {@code chmod} write them in octal, such as 0644. */
  public static String mode(PosixFileAttributes attributes) {
    // "rwxr-x---": one letter or '-' per bit, from the owner's read down to others' execute.
    String bits = PosixFilePermissions.toString(attributes.permissions());
    int mode = 0;
    for (int i = 0; i < bits.length(); i++) {
      if (bits.charAt(i) != '-') {
        mode |= 1 << (bits.length() - 1 - i);
      }
    }
    return String.format(Locale.ROOT, "%04o", mode);
  }
}
