package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.identity.Certificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a process that is changing a trust store with SIGKILL at every stage of a change, and
 * checks after each kill that the store opens to the last change the process reported or to the one
 * it had started, whole, with a bundle that matches.
 *
 * <p>A change passes through these states on disk: its line is in the journal but the bundle is a
 * change behind; the bundle's temporary file is being written; everything agrees. Every third
 * change also compacts the journal: the list's temporary file is being written; the list is
 * replaced but the journal, which it now holds, is not yet emptied. Killing at random moments lands
 * in the short ones rarely, so it took hundreds of kills to be sure of hitting each. Instead the
 * test stops the writer (SIGSTOP) at random moments, looks at the directory while nothing can
 * change it, and lets it go on (SIGCONT) until the directory shows the state it wants; then it
 * kills the stopped writer there. {@link #ROUNDS} kills in each state, at a different point of the
 * writer's loop every time, cover what the random kills covered. A line cut short by a kill is
 * TrustJournalTest's.
 *
 * <p>A kill is a process crash, not a power cut: it shows that no instant of a change leaves a torn
 * or mixed state behind, and that {@link TrustStore#open} repairs what a crash may leave (temporary
 * files, a bundle one change behind). That the fsyncs make it survive a power cut is argued in
 * {@code AtomicFiles}, not tested here.
 */
final class TrustStoreCrashIT {
  /** Kills in each state; {@code -Dpaird.trust.crashRounds=N} to change. */
  private static final int ROUNDS = Integer.getInteger("paird.trust.crashRounds", 2);

  /** The longest the writer runs on between two looks at the directory. */
  private static final int MAX_RUN_MICROS = 3_000;

  private static final long PATIENCE_SECONDS = 60;

  /** What a change has left on disk at the moment the writer is stopped. */
  enum Stage {
    /** A temporary file of trusted.json exists: a compaction is writing the list. */
    LIST_BEING_WRITTEN,
    /** trusted.json was replaced by a compaction, and the journal it holds is not yet emptied. */
    JOURNAL_NOT_YET_EMPTIED,
    /** No temporary file; trusted.pem is the bundle of another list than the journal's. */
    BUNDLE_BEHIND,
    /** A temporary file of trusted.pem exists: the bundle is being written. */
    BUNDLE_BEING_WRITTEN,
    /**
     * No temporary file; trusted.pem is the bundle of the list trusted.json and the journal say.
     */
    AT_REST
  }

  @TempDir Path dir;

  @Test
  void sigkill_atEveryStageOfAChange_leavesTheLastOrTheNextListWithAMatchingBundle()
      throws Exception {
    Path stateDir = Files.createDirectory(dir.resolve("state"));
    Path bundle = stateDir.resolve(TrustFiles.PEM_NAME);
    Path certificates = dir.resolve("certificates.pem");
    Files.write(certificates, TestCertificates.toPem(TestCertificates.selfSigned("crash", 5)));
    Path stderr = dir.resolve("writer.stderr");
    String expectedAtOpen = TrustStoreCrashWriter.describe(TrustStore.open(stateDir).list());
    Map<Stage, Integer> killed = new EnumMap<>(Stage.class);
    int inFlightLanded = 0;
    int looks = 0;
    long changes = 0;
    long started = System.nanoTime();
    int kills = ROUNDS * Stage.values().length;

    for (int kill = 1; kill <= kills; kill++) {
      Stage wanted = Stage.values()[(kill - 1) % Stage.values().length];
      String context = "kill " + kill + " of " + kills + ", " + wanted;
      Process writer = startWriter(stateDir, certificates, stderr, kill);
      Lines lines;
      Stage seen;
      try {
        lines = Lines.collect(writer.getInputStream());
        boolean writing = lines.awaitFirstChangeOrEnd(PATIENCE_SECONDS);
        assertThat(writing && writer.isAlive())
            .as("%s: the writer never reported a change; its stderr: %s", context, read(stderr))
            .isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
        while (true) {
          stop(writer);
          looks++;
          seen = stage(stateDir);
          if (seen == wanted) {
            break;
          }
          assertThat(System.nanoTime() - deadline)
              .as("%s: the directory never showed that state", context)
              .isNegative();
          signal(writer, "CONT");
          // Spreads the looks over the writer's loop; it synchronises nothing.
          LockSupport.parkNanos(
              TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current().nextInt(MAX_RUN_MICROS)));
        }
      } finally {
        // SIGKILL, which ends a stopped process too. Through the handle, because
        // Process.destroyForcibly() also closes the pipe, which would throw away what the writer
        // said last and the reader has not yet read.
        writer.toHandle().destroyForcibly();
      }
      assertThat(writer.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)).as(context).isTrue();
      assertThat(writer.exitValue())
          .as("%s: killed by SIGKILL, not ended by itself; stderr: %s", context, read(stderr))
          .isEqualTo(128 + 9);
      assertThat(stage(stateDir)).as("%s: what the kill left", context).isEqualTo(seen);
      killed.merge(seen, 1, Integer::sum);
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
      List<String> bundleAsLeft = TestCertificates.bundleFingerprintsAsOpenSslReads(bundle);

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
          .as(
              "%s: the bundle left behind is that of the list on disk or of the one before",
              context)
          .isIn(onDiskFingerprints, TrustStoreCrashWriter.fingerprints(lastOk));
      assertThat(TestCertificates.bundleFingerprints(bundle))
          .as("%s: after open the bundle is that of the list", context)
          .isEqualTo(onDiskFingerprints);
      assertThat(names(stateDir))
          .as("%s: open removed the temporary files", context)
          .contains("trusted.pem", "trusted-certs", "trusted.p12", "trusted.journal")
          .isSubsetOf(
              "trusted.json", "trusted.journal", "trusted.pem", "trusted-certs", "trusted.p12");
      assertThat(names(stateDir.resolve("trusted-certs")))
          .as("%s: after open the CApath directory holds one file per peer", context)
          .hasSize(onDiskFingerprints.size());

      if (!onDisk.equals(lastOk)) {
        inFlightLanded++;
      }
      expectedAtOpen = onDisk;
    }

    assertThat(killed).as("kills by the state they hit").hasSize(Stage.values().length);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    System.out.printf(
        "TrustStoreCrashIT: %d kills in %d ms over %d completed changes, %d looks at the"
            + " directory; kills by state: %s; the change in flight had reached the disk %d"
            + " times%n",
        kills, millis, changes, looks, killed, inFlightLanded);
  }

  /** The state of the change on disk; meaningful only while the writer is stopped or dead. */
  private static Stage stage(Path stateDir) throws Exception {
    List<String> names = names(stateDir);
    if (names.stream().anyMatch(name -> name.startsWith(".trusted.json.tmp-"))) {
      return Stage.LIST_BEING_WRITTEN;
    }
    if (names.stream().anyMatch(name -> name.startsWith(".trusted.pem.tmp-"))) {
      return Stage.BUNDLE_BEING_WRITTEN;
    }
    Path json = stateDir.resolve("trusted.json");
    Optional<byte[]> list =
        Files.exists(json) ? Optional.of(Files.readAllBytes(json)) : Optional.empty();
    Path journalFile = stateDir.resolve(TrustJournal.NAME);
    TrustJournal.Contents journal =
        TrustJournal.parse(journalFile, Files.readAllBytes(journalFile));
    if (journal.length() > 0 && !journal.base().equals(list.map(TrustStore::digest))) {
      return Stage.JOURNAL_NOT_YET_EMPTIED;
    }
    List<TrustedPeer> peers =
        TrustStore.replay(
            list.isPresent() ? TrustFiles.decodeJson(json, list.get()) : List.of(),
            journal.changes());
    List<String> listed = new ArrayList<>();
    for (TrustedPeer peer : peers) {
      listed.add(peer.fingerprint());
    }
    // As OpenSSL reads it: a kill between a remove's withdrawal in place and its rewrite of the
    // bundle leaves the withdrawn form, which Java's PEM reader refuses (WrittenOutputs).
    List<String> bundled =
        TestCertificates.bundleFingerprintsAsOpenSslReads(stateDir.resolve("trusted.pem"));
    return bundled.equals(listed) ? Stage.AT_REST : Stage.BUNDLE_BEHIND;
  }

  /**
   * Stops the writer and waits until every one of its threads has stopped: the signal takes effect
   * when a thread next leaves the kernel, not when kill(1) returns.
   */
  private static void stop(Process writer) throws Exception {
    signal(writer, "STOP");
    Path tasks = Path.of("/proc", Long.toString(writer.pid()), "task");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
    while (!allStopped(tasks)) {
      assertThat(System.nanoTime() - deadline).as("the writer stopped").isNegative();
      Thread.onSpinWait();
    }
  }

  private static boolean allStopped(Path tasks) throws IOException {
    try (Stream<Path> threads = Files.list(tasks)) {
      for (Path thread : (Iterable<Path>) threads::iterator) {
        String stat;
        try {
          stat = Files.readString(thread.resolve("stat"), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
          continue; // the thread has ended
        }
        // "pid (comm) S ...": the state follows the last parenthesis, which may be in comm.
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        if (state != 'T' && state != 't' && state != 'Z' && state != 'X') {
          return false;
        }
      }
    }
    return true;
  }

  private static void signal(Process writer, String signal) throws Exception {
    Process kill =
        new ProcessBuilder("kill", "-" + signal, Long.toString(writer.pid()))
            .redirectErrorStream(true)
            .start();
    assertThat(kill.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)).as("kill -%s", signal).isTrue();
    assertThat(kill.exitValue())
        .as(
            "kill -%s: %s",
            signal, new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .isZero();
  }

  private static List<String> names(Path stateDir) throws IOException {
    try (Stream<Path> files = Files.list(stateDir)) {
      return files.map(f -> f.getFileName().toString()).toList();
    }
  }

  private static Process startWriter(Path stateDir, Path certificates, Path stderr, long seed)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // A cheap JVM: it is started once for each kill and does little.
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
    return new ProcessBuilder(command).redirectError(stderr.toFile()).start();
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
