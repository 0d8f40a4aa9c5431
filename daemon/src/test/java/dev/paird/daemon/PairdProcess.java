package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A paird started by the launch script packaging/bin/paird as a child process, for the
 * end-to-end tests: its stderr (the log) is collected and watched for the line that says it is
 * ready, so that nobody has to guess how long start-up takes.
 *
 * <p>The scripts run the jars of "mvn package" (ctl/target/lib, daemon/target/lib); failsafe
 * runs the tests that use this in the verify phase, after package.
 */
public final class PairdProcess implements AutoCloseable {
  /** The build runs in the daemon module; the repository is the first parent with the scripts. */
  public static final Path REPO = repositoryRoot();
  static final Path PAIRD = REPO.resolve("packaging/bin/paird");
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  public final Process process;
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  /** True once paird says it is ready; false if its log ends first. */
  private final CompletableFuture<Boolean> ready = new CompletableFuture<>();
  private final Thread reader;
  /** Set, under the log's lock, when paird's stderr has ended. */
  private boolean logEnded;

  private PairdProcess(Process process) {
    this.process = process;
    this.reader = new Thread(this::readLog, "paird-log-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  private static Path repositoryRoot() {
    Path module = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = module; dir != null; dir = dir.getParent()) {
      if (Files.isExecutable(dir.resolve("packaging/bin/paird"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no packaging/bin/paird in " + module + " or above");
  }

  /**
   * Runs {@code wrapper... packaging/bin/paird arguments...} without waiting for it to be ready.
   * {@code wrapper} is a command that executes the rest in place, such as {@code ip netns exec
   * NS}, so that the child process is paird itself and stopping it stops paird; it may be empty.
   */
  public static PairdProcess launch(List<String> wrapper, List<String> arguments) throws IOException {
    List<String> command = new ArrayList<>(wrapper);
    command.add(PAIRD.toString());
    command.addAll(arguments);
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    // Not under systemd, whatever runs the build: terminal log format, no readiness datagram.
    builder.environment().remove("JOURNAL_STREAM");
    builder.environment().remove("NOTIFY_SOCKET");
    return new PairdProcess(builder.start());
  }

  private void readLog() {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        synchronized (log) {
          log.add(line);
          log.notifyAll();
        }
        if (line.contains("paird ready: control socket")) {
          ready.complete(true);
        }
      }
    } catch (IOException e) {
      log.add("(reading the log failed: " + e + ")");
    } finally {
      ready.complete(false);
      synchronized (log) {
        logEnded = true;
        log.notifyAll();
      }
    }
  }

  /**
   * Waits until paird has logged a line that {@code matches}, at most {@code bound}; returns it,
   * or fails showing the log. The log is written asynchronously, so a test that checks for a
   * line about something it just saw happen waits for it here instead of reading once.
   */
  public String awaitLogLine(Predicate<String> matches, String description, Duration bound)
      throws InterruptedException {
    long end = System.nanoTime() + bound.toNanos();
    synchronized (log) {
      for (int seen = 0; ; ) {
        for (; seen < log.size(); seen++) {
          if (matches.test(log.get(seen))) {
            return log.get(seen);
          }
        }
        long left = end - System.nanoTime();
        if (left <= 0 || logEnded) {
          throw new AssertionError("paird logged no line " + description + " within " + bound
              + "; its log:\n" + String.join("\n", log));
        }
        TimeUnit.NANOSECONDS.timedWait(log, left);
      }
    }
  }

  /** Waits until paird says it is ready; fails, showing its log, if it exits first. */
  public PairdProcess awaitReady() throws Exception {
    boolean isReady = ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(isReady).as("paird ready; its log:\n%s", log()).isTrue();
    return this;
  }

  /** Waits for paird to exit by itself; returns its status. */
  int awaitExit() throws Exception {
    assertThat(process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        .as("paird exited; its log:\n%s", log()).isTrue();
    reader.join(TimeUnit.SECONDS.toMillis(10));
    return process.exitValue();
  }

  /** Sends SIGTERM, as systemctl stop does, and waits for the exit. */
  public int stop() throws Exception {
    process.destroy();
    return awaitExit();
  }

  public String log() {
    synchronized (log) {
      return String.join("\n", log);
    }
  }

  /** Checks that no line paird logged shows any of {@code keys}, with or without dashes. */
  public void assertLogOmits(Collection<String> keys) {
    String text = log();
    for (String key : keys) {
      assertThat(text).as("paird's log").doesNotContain(key)
          .doesNotContain(key.replace("-", ""));
    }
  }

  /** Stops paird; one that ignores SIGTERM is killed, and the test fails. */
  @Override
  public void close() throws Exception {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      throw new AssertionError("paird ignored SIGTERM and was killed; its log:\n" + log());
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
  }
}
