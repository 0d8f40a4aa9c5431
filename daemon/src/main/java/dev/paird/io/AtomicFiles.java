package dev.paird.io;

import dev.paird.api.ErrorCode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Replaces a file's contents so that a crash at any instant leaves either the old file or the new
 * one, complete: write a temporary file in the same directory, fsync it, rename it over the target,
 * fsync the directory.
 *
 * <p>The temporary file is created with its final permissions, so a private key is never readable
 * by others, not even for a moment. Temporary files left by a crash are named {@code .NAME.tmp-*};
 * {@link #removeLeftovers} deletes them.
 */
public final class AtomicFiles {
  private static final SecureRandom RANDOM = new SecureRandom();

  private AtomicFiles() {}

  /** Owner read and write only. */
  public static final Set<PosixFilePermission> PRIVATE =
      PosixFilePermissions.fromString("rw-------");

  /**
   * A missing parent's mode, 0755 from its creation, or less if the umask takes more: with a parent
   * that others may write to, any user could rename the directory below it away, and the next start
   * would make a new state directory, a new identity and an empty trusted list.
   */
  static final Set<PosixFilePermission> PARENT = PosixFilePermissions.fromString("rwxr-xr-x");

  /** Owner read and write, everyone read. */
  public static final Set<PosixFilePermission> PUBLIC =
      PosixFilePermissions.fromString("rw-r--r--");

  /**
   * Thrown by {@link #write} when the target was already replaced but the directory could not be
   * fsynced: the new content is in place and visible, but a crash may still bring back the old. A
   * caller that must undo a failed write has to undo this one too.
   */
  public static final class NotDurableException extends IOException {
    private static final long serialVersionUID = 1L;

    public NotDurableException(Path target, IOException cause) {
      super(target + " was replaced, but the change could not be flushed to disk", cause);
    }
  }

  /**
   * Atomically and durably replaces {@code target} with {@code content}.
   *
   * @throws NotDurableException if only the last step, fsyncing the directory, failed: the target
   *     then already holds {@code content}
   * @throws IOException if any earlier step fails; the target is then unchanged
   */
  public static void write(Path target, byte[] content, Set<PosixFilePermission> permissions)
      throws IOException {
    write(target, List.of(content), permissions, true, true);
  }

  /** {@link #write(Path, byte[], Set)} of the concatenation of {@code parts}, without making it. */
  public static void write(Path target, List<byte[]> parts, Set<PosixFilePermission> permissions)
      throws IOException {
    write(target, parts, permissions, true, true);
  }

  /**
   * Atomically replaces {@code target} with {@code content}, without waiting for the disk: a reader
   * sees the old file or the new one, never a part, but after a power loss the file may be the old
   * one again, or empty. For files that can be made again from a durable source.
   *
   * @throws IOException if any step fails; the target is then unchanged
   */
  public static void replace(Path target, byte[] content, Set<PosixFilePermission> permissions)
      throws IOException {
    write(target, List.of(content), permissions, false, false);
  }

  /**
   * {@link #replace(Path, byte[], Set)} of the concatenation of {@code parts}, without making it.
   */
  public static void replace(Path target, List<byte[]> parts, Set<PosixFilePermission> permissions)
      throws IOException {
    write(target, parts, permissions, false, false);
  }

  /**
   * {@link #write}, but without its last step: the content is on disk before the rename, and the
   * rename is durable once the caller has called {@link #fsyncDirectory} on the target's directory,
   * as it must before relying on it. For a change that replaces several files of one directory: the
   * directory is flushed once, after the last of them.
   *
   * @throws IOException if any step fails; the target is then unchanged
   */
  public static void writeFlushingDirectoryLater(
      Path target, List<byte[]> parts, Set<PosixFilePermission> permissions) throws IOException {
    write(target, parts, permissions, true, false);
  }

  /**
   * The most bytes copied into one write call when a file is written from parts: a part of a
   * trusted-list output is one peer's, some hundreds of bytes, and a call each would be thousands.
   */
  private static final int PARTS_BUFFER_BYTES = 64 * 1024;

  private static void write(
      Path target,
      List<byte[]> parts,
      Set<PosixFilePermission> permissions,
      boolean durable,
      boolean flushDirectory)
      throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path temp = dir.resolve(tempPrefix(target) + HexFormat.of().formatHex(randomBytes()));
    FileAttribute<Set<PosixFilePermission>> mode =
        PosixFilePermissions.asFileAttribute(permissions);
    try {
      try (FileChannel channel =
          FileChannel.open(
              temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), mode)) {
        writeParts(channel, parts);
        if (durable) {
          channel.force(true);
        }
      }
      // The umask may have narrowed the mode given at creation; set it exactly.
      Files.setPosixFilePermissions(temp, permissions);
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot replace " + target + " atomically on this file system", e);
      }
    } catch (IOException | RuntimeException e) {
      // Keep the first failure; a temporary file that cannot be deleted is a leftover.
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    if (!flushDirectory) {
      return;
    }
    try {
      fsyncDirectory(dir);
    } catch (IOException e) {
      throw new NotDurableException(target, e);
    }
  }

  private static void writeParts(FileChannel channel, List<byte[]> parts) throws IOException {
    if (parts.size() == 1) {
      writeFully(channel, ByteBuffer.wrap(parts.get(0)));
      return;
    }
    ByteBuffer buffer = ByteBuffer.allocate(PARTS_BUFFER_BYTES);
    for (byte[] part : parts) {
      for (int at = 0; at < part.length; ) {
        if (!buffer.hasRemaining()) {
          writeFully(channel, buffer.flip());
          buffer.clear();
        }
        int length = Math.min(buffer.remaining(), part.length - at);
        buffer.put(part, at, length);
        at += length;
      }
    }
    writeFully(channel, buffer.flip());
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /**
   * Creates {@code dir} and its missing parents, each one made here with exactly {@code
   * permissions}, whatever the umask: mkdir(2) narrows a mode by it, so that under paird's unit
   * (UMask=0077) a directory asked for with 0755 would be 0700, and pairctl's users could not reach
   * a socket in it. Each is made with {@code permissions} and only then set to them, so none is
   * ever wider. Directories already there, or made by another process meanwhile, are left as they
   * are.
   */
  public static void createDirectories(Path dir, Set<PosixFilePermission> permissions)
      throws IOException {
    ArrayDeque<Path> missing = new ArrayDeque<>();
    for (Path next = dir.toAbsolutePath(); next != null && !Files.isDirectory(next); ) {
      missing.push(next);
      next = next.getParent();
    }
    FileAttribute<Set<PosixFilePermission>> mode =
        PosixFilePermissions.asFileAttribute(permissions);
    for (Path next : missing) {
      try {
        Files.createDirectory(next, mode);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(next)) {
          // The JDK reports a file where a directory should be with nothing but its path.
          throw new FileSystemException(next.toString(), null, "not a directory");
        }
        continue;
      }
      Files.setPosixFilePermissions(next, permissions);
    }
  }

  /**
   * Creates {@code dir} if needed, with the given permissions on a new directory, and its missing
   * parents with 0755 ({@link #PARENT}), whatever the umask.
   */
  public static void createDirectory(Path dir, Set<PosixFilePermission> permissions)
      throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) {
      createDirectories(parent, PARENT);
    }
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(permissions));
      Files.setPosixFilePermissions(dir, permissions);
      fsyncDirectory(parent);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw new FileSystemException(dir.toString(), null, "not a directory");
      }
    }
  }

  /** Deletes temporary files a crashed {@link #write} of {@code target} may have left. */
  public static void removeLeftovers(Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      return;
    }
    String prefix = tempPrefix(target);
    try (var entries =
        Files.newDirectoryStream(dir, entry -> entry.getFileName().toString().startsWith(prefix))) {
      for (Path leftover : entries) {
        Files.deleteIfExists(leftover);
      }
    }
  }

  /**
   * What to do about a write in {@code dir} that failed for want of room or of a writable file
   * system (a full disk, a file system remounted read-only, a failing disk): the reason given
   * before it says which. One sentence, without a final period.
   */
  public static String remedy(Path dir) {
    return "Check that the file system holding " + dir + " has room and can be written to";
  }

  /**
   * The code of a start-up that {@code e} stopped while it wrote in the state directory: {@code
   * INTERNAL}, whose exit status 1 systemd answers with a restart, when the file system failed
   * (full, read-only, failing), which may pass; {@code otherwise}, whose 78 it does not, when the
   * file was refused or access to it denied, which a person must fix.
   */
  public static ErrorCode startCode(IOException e, ErrorCode otherwise) {
    return e instanceof LocalFiles.UnsafeFileException || e instanceof AccessDeniedException
        ? otherwise
        : ErrorCode.INTERNAL;
  }

  /** Flushes a directory's entries (a rename or a new file in it) to disk. */
  public static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static String tempPrefix(Path target) {
    return "." + target.getFileName() + ".tmp-";
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[6];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
