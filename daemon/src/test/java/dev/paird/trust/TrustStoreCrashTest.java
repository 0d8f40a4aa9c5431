package dev.paird.trust;

import dev.paird.identity.Certificates;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a process that is changing a trust store with SIGKILL, hundreds of times at random
 * moments, and checks after each kill that the store opens to the last change the process
 * reported or to the one it had started, whole, with a bundle that matches.
 *
 * <p>A kill is a process crash, not a power cut: it shows that no instant of a change leaves a
 * torn or mixed state behind, and that {@link TrustStore#open} repairs what a crash may leave
 * (temporary files, a bundle one change behind). That the fsyncs make it survive a power cut is
 * argued in {@code AtomicFiles}, not tested here.
 */
final class TrustStoreCrashTest {
  /** How many times to kill the writer; {@code -Dpaird.trust.crashKills=N} to change. */
  private static final int KILLS = Integer.getInteger("paird.trust.crashKills", 200);
  /** The longest random wait between the writer's first change and the kill. */
  private static final int MAX_DELAY_MICROS = 25_000;
  private static final long PATIENCE_SECONDS = 60;

  @TempDir Path dir;

  @Test
  void sigkill_duringChanges_leavesTheLastOrTheNextListWithAMatchingBundle() throws Exception {
    Path stateDir = Files.createDirectory(dir.resolve("state"));
    Path certificates = dir.resolve("certificates.pem");
    Files.write(certificates, TestCertificates.toPem(TestCertificates.selfSigned("crash", 5)));
    Path stderr = dir.resolve("writer.stderr");
    String expectedAtOpen = TrustStoreCrashWriter.describe(TrustStore.open(stateDir).list());
    int inFlightLanded = 0;
    int bundleBehind = 0;
    int leftovers = 0;
    long changes = 0;
    long started = System.nanoTime();

    for (int kill = 1; kill <= KILLS; kill++) {
      String context = "kill " + kill + " of " + KILLS;
      Process writer = startWriter(stateDir, certificates, stderr, kill);
      Lines lines;
      try {
        lines = Lines.collect(writer.getInputStream());
        boolean writing = lines.awaitFirstChangeOrEnd(PATIENCE_SECONDS);
        assertThat(writing && writer.isAlive())
            .as("%s: the writer never reported a change; its stderr: %s", context, read(stderr))
            .isTrue();
        // The random wait only spreads the kills over the writer's loop; it synchronises nothing.
        TimeUnit.MICROSECONDS.sleep(ThreadLocalRandom.current().nextInt(MAX_DELAY_MICROS));
      } finally {
        // SIGKILL. Through the handle, because Process.destroyForcibly() also closes the pipe,
        // which would throw away what the writer said last and the reader has not yet read.
        writer.toHandle().destroyForcibly();
      }
      assertThat(writer.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)).as(context).isTrue();
      assertThat(writer.exitValue())
          .as("%s: killed by SIGKILL, not ended by itself; stderr: %s", context, read(stderr))
          .isEqualTo(128 + 9);
      List<String> said = lines.awaitEnd(PATIENCE_SECONDS);
      assertThat(said.get(0)).as(context).isEqualTo("open\t" + expectedAtOpen);

      String lastOk = null;
      String next = null;
      for (String line : said) {
        if (line.startsWith("ok\t")) {
          lastOk = line.substring(3);
          next = null;
          changes++;
        } else if (line.startsWith("next\t")) {
          next = line.substring(5);
        }
      }
      assertThat(lastOk).as(context).isNotNull();

      // What the kill left, before open() repairs anything.
      try (Stream<Path> files = Files.list(stateDir)) {
        leftovers += (int) files.filter(f -> f.getFileName().toString().contains(".tmp-")).count();
      }
      List<String> bundleAsLeft = TestCertificates.bundleFingerprints(stateDir.resolve("trusted.pem"));

      TrustStore store = TrustStore.open(stateDir);
      String onDisk = TrustStoreCrashWriter.describe(store.list());

      List<String> allowed = next == null ? List.of(lastOk) : List.of(lastOk, next);
      assertThat(onDisk)
          .as("%s: the list on disk is the last reported one or the one being written", context)
          .isIn(allowed);
      for (TrustedPeer peer : store.list()) {
        assertThat(Certificates.fingerprint(peer.certificate())).isEqualTo(peer.fingerprint());
      }
      List<String> onDiskFingerprints = TrustStoreCrashWriter.fingerprints(onDisk);
      assertThat(bundleAsLeft)
          .as("%s: the bundle left behind is that of the list on disk or of the one before", context)
          .isIn(onDiskFingerprints, TrustStoreCrashWriter.fingerprints(lastOk));
      assertThat(TestCertificates.bundleFingerprints(store.pemFile()))
          .as("%s: after open the bundle is that of the list", context)
          .isEqualTo(onDiskFingerprints);
      try (Stream<Path> files = Files.list(stateDir)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .as("%s: open removed the temporary files", context)
            .containsExactlyInAnyOrder("trusted.json", "trusted.pem", "trusted-certs", "trusted.p12");
      }
      try (Stream<Path> files = Files.list(stateDir.resolve("trusted-certs"))) {
        assertThat(files.count())
            .as("%s: after open the CApath directory holds one file per peer", context)
            .isEqualTo(onDiskFingerprints.size());
      }

      if (!onDisk.equals(lastOk)) {
        inFlightLanded++;
      }
      if (!bundleAsLeft.equals(onDiskFingerprints)) {
        bundleBehind++;
      }
      expectedAtOpen = onDisk;
    }

    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    System.out.printf(
        "TrustStoreCrashTest: %d kills in %d s over %d completed changes; the change in flight had"
            + " reached trusted.json %d times, the bundle was a change behind %d times, %d"
            + " temporary files were left%n",
        KILLS, seconds, changes, inFlightLanded, bundleBehind, leftovers);
  }

  private static Process startWriter(Path stateDir, Path certificates, Path stderr, long seed)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A cheap JVM: it is started hundreds of times and does little.
    command.addAll(
        List.of(
            "-Xshare:auto",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-XX:-UsePerfData",
            "-Xmx64m",
            "-cp",
            System.getProperty("java.class.path"),
            TrustStoreCrashWriter.class.getName(),
            stateDir.toString(),
            certificates.toString(),
            Long.toString(seed)));
    return new ProcessBuilder(command)
        .redirectError(stderr.toFile())
        .start();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /**
   * The writer's stdout, read on a thread of its own so that its pipe never fills, cut into
   * complete lines: the kill may cut the last line short, and a line without its newline was not
   * fully said.
   */
  private static final class Lines implements Runnable {
    private final InputStream in;
    private final List<String> complete = new ArrayList<>();
    private final CountDownLatch firstChangeOrEnd = new CountDownLatch(1);
    private final CountDownLatch end = new CountDownLatch(1);
    private volatile boolean sawChange;

    private Lines(InputStream in) {
      this.in = in;
    }

    static Lines collect(InputStream in) {
      Lines lines = new Lines(in);
      Thread reader = new Thread(lines, "crash-writer-stdout");
      reader.setDaemon(true);
      reader.start();
      return lines;
    }

    @Override
    public void run() {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      try (in) {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          for (int i = 0; i < n; i++) {
            if (buffer[i] != '\n') {
              line.write(buffer[i]);
              continue;
            }
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            synchronized (complete) {
              complete.add(text);
            }
            if (text.startsWith("ok\t")) {
              sawChange = true;
              firstChangeOrEnd.countDown();
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        firstChangeOrEnd.countDown();
        end.countDown();
      }
    }

    /** Waits until the writer has reported a change (true) or its output ended (false). */
    boolean awaitFirstChangeOrEnd(long seconds) throws InterruptedException {
      return firstChangeOrEnd.await(seconds, TimeUnit.SECONDS) && sawChange;
    }

    /** Waits for the end of the output and returns every complete line. */
    List<String> awaitEnd(long seconds) throws InterruptedException {
      assertThat(end.await(seconds, TimeUnit.SECONDS)).as("the writer's stdout ended").isTrue();
      synchronized (complete) {
        return List.copyOf(complete);
      }
    }
  }
}
