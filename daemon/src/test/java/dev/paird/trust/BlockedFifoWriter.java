package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A FIFO with a thread blocked in opening it for writing, which it stays until some process opens
 * the FIFO for reading: whether it is still blocked tells whether anything opened the FIFO.
 */
final class BlockedFifoWriter implements AutoCloseable {
  private static final String THREAD = "fifo-writer";
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  private final Path fifo;
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  private final Thread writer;

  /** Makes the FIFO {@code fifo} and returns once a thread is blocked in opening it to write. */
  BlockedFifoWriter(Path fifo) throws Exception {
    this.fifo = TrustChangedPrograms.makeFifo(fifo);
    writer = new Thread(this::open, THREAD);
    writer.setDaemon(true);
    writer.start();
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!blocked()) {
      assertThat(opened).as("the writer's open of %s, with no reader", fifo).isNotDone();
      assertThat(System.nanoTime() - deadline)
          .as("time left for the writer to block in opening %s", fifo)
          .isNegative();
      Thread.onSpinWait();
    }
  }

  /** Whether the writer is still waiting, in its open, for a reader of the FIFO. */
  boolean blocked() throws IOException {
    if (opened.isDone()) {
      return false;
    }
    // Java names the thread's task after it; the kernel says where that task waits.
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        try {
          if (Files.readString(task.resolve("comm")).strip().equals(THREAD)
              && Files.readString(task.resolve("wchan")).strip().equals("wait_for_partner")) {
            return true;
          }
        } catch (IOException taskEnded) {
          // Another thread of this JVM ended while it was listed.
        }
      }
    }
    return false;
  }

  /**
   * Releases the writer, if it is still blocked, by opening the FIFO for reading without waiting.
   */
  @Override
  public void close() throws Exception {
    if (!opened.isDone()) {
      Process reader =
          new ProcessBuilder("dd", "if=" + fifo, "iflag=nonblock", "count=0", "status=none")
              .inheritIO()
              .start();
      assertThat(reader.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
    opened.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    writer.join(PATIENCE.toMillis());
  }

  private void open() {
    try (FileOutputStream out = new FileOutputStream(fifo.toFile())) {
      opened.complete(null);
    } catch (IOException | RuntimeException e) {
      opened.completeExceptionally(e);
    }
  }
}
