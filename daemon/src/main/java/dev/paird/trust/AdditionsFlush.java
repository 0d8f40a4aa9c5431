package dev.paird.trust;

import dev.paird.api.FileProblems;
import dev.paird.io.AtomicFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flushes the outputs of a change that only adds trust once the change has returned, on a thread of
 * its own. Such a change renames its outputs into place without waiting for the disk (a pairing
 * need not wait for 10.5 MB at 10,000 peers); left to the kernel, that writing would wait for the
 * next flush of the file system, which the next {@code remove} makes, so that a {@code remove} soon
 * after a pairing paid for the pairing's bytes too. Flushed here, they are usually on disk before
 * then, and an addition is durable within tens of milliseconds instead of within the kernel's
 * writeback interval (30 s). A {@code remove} that comes sooner still waits for the rest, which is
 * what it must: its own flushes return only once what they depend on is on disk.
 *
 * <p>At most one flush is queued per store: a change made while one waits is covered by it. The
 * thread ends when idle.
 */
final class AdditionsFlush {
  private static final Logger log = LoggerFactory.getLogger(AdditionsFlush.class);

  /**
   * One thread for every store (paird has one), ending after a second without work; made at the
   * first flush, so that a paird that pairs with nobody never loads the executor's classes.
   */
  private static final class Executor {
    static final ThreadPoolExecutor EXECUTOR =
        new ThreadPoolExecutor(
            1,
            1,
            1,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(16),
            runnable -> {
              Thread thread = new Thread(runnable, "paird-flush");
              thread.setDaemon(true);
              return thread;
            });

    static {
      EXECUTOR.allowCoreThreadTimeOut(true);
    }

    private Executor() {}
  }

  private final List<Path> files;
  private final List<Path> directories;
  private final AtomicBoolean queued = new AtomicBoolean();

  /** Flushes {@code files}, then {@code directories}, whose entries name them. */
  AdditionsFlush(List<Path> files, List<Path> directories) {
    this.files = List.copyOf(files);
    this.directories = List.copyOf(directories);
  }

  /** Queues a flush unless one is queued and not yet started. */
  void request() {
    if (!queued.compareAndSet(false, true)) {
      return;
    }
    try {
      Executor.EXECUTOR.execute(this::flush);
    } catch (RejectedExecutionException e) {
      // Sixteen stores waiting: the kernel writes these back in time, as it did before.
      queued.set(false);
    }
  }

  private void flush() {
    queued.set(false);
    try {
      for (Path file : files) {
        try (FileChannel channel =
            FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
          channel.force(true);
        }
      }
      for (Path directory : directories) {
        AtomicFiles.fsyncDirectory(directory);
      }
    } catch (IOException e) {
      // The next change's or the kernel's flush tries again; a remove's fails loudly.
      log.warn("could not flush the files for other software to disk: {}", FileProblems.reason(e));
    }
  }
}
