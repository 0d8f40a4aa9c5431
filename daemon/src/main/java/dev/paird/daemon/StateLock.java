package dev.paird.daemon;

import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.io.AtomicFiles;
import dev.paird.io.LocalFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * An exclusive lock on the state directory, so that two daemons never write the same trusted list.
 * The kernel releases it when the process dies, however it dies.
 */
final class StateLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private StateLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  private static final Set<PosixFilePermission> PRIVATE =
      PosixFilePermissions.fromString("rw-------");

  static StateLock acquire(Path stateDir) throws PairdException {
    Path file = stateDir.resolve("paird.lock");
    try {
      // Not following a link, and never opening a FIFO, which would block until a writer came.
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        LocalFiles.checkRegular(
            file, Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
      }
      // 0600 from its creation, whatever the umask: a lock file other users may open is one they
      // may flock, and a lock they hold keeps paird from starting.
      FileChannel channel =
          FileChannel.open(
              file,
              Set.of(
                  StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(PRIVATE));
      try {
        // A lock file an older paird made under a wider umask is narrowed too.
        Files.setPosixFilePermissions(file, PRIVATE);
      } catch (IOException e) {
        channel.close();
        throw e;
      }
      FileLock lock = channel.tryLock();
      if (lock == null) {
        channel.close();
        throw new PairdException(
            ErrorCode.ALREADY_RUNNING,
            "another paird is using the state directory "
                + stateDir
                + "; stop it first or give this one another --state-dir");
      }
      return new StateLock(channel, lock);
    } catch (IOException e) {
      throw new PairdException(
          AtomicFiles.startCode(e, ErrorCode.STATE_INVALID),
          "cannot lock "
              + file
              + ": "
              + FileProblems.reason(e, file)
              + (e instanceof LocalFiles.UnsafeFileException
                  ? ""
                  // Not something in its place: the file system (read-only, full, failing).
                  : ". " + AtomicFiles.remedy(stateDir) + ", then start paird again"),
          e);
    }
  }

  @Override
  public void close() throws IOException {
    lock.release();
    channel.close();
  }
}
