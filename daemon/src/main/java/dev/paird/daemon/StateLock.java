package dev.paird.daemon;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on the state directory, so that two daemons never write the same trusted
 * list. The kernel releases it when the process dies, however it dies.
 */
final class StateLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private StateLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static StateLock acquire(Path stateDir) throws PairdException {
    Path file = stateDir.resolve("paird.lock");
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        channel.close();
        throw new PairdException(ErrorCode.ALREADY_RUNNING,
            "another paird is using the state directory " + stateDir
                + "; stop it first or give this one another --state-dir");
      }
      return new StateLock(channel, lock);
    } catch (IOException e) {
      throw new PairdException(ErrorCode.STATE_INVALID,
          "cannot lock " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    lock.release();
    channel.close();
  }
}
