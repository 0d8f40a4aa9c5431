package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What SECURITY.md ("Files") promises about the disk, watched from outside a real paird: strace,
 * attached to the running JVM, records every fsync with the path of the file or directory it
 * flushed, and by which thread. A pairing flushes the trusted list's journal before it answers, and
 * none of the files for other software, nor trusted.json, which only a compaction rewrites; paird's
 * flush thread flushes those files after the answer. A removal flushes the journal and every file
 * for other software, so that a crash cannot bring a removed device back into what nginx or Java
 * reads: the bundles themselves where it withdraws a certificate in place, the new ones renamed
 * into place where the last peer leaves empty files.
 */
final class TrustFileDurabilityIT {
  private static final Path STRACE = Path.of("/usr/bin/strace");
  private static final Duration ATTACH = Duration.ofSeconds(20);

  /** An fsync or fdatasync line of {@code strace -y}: the path inside the angle brackets. */
  private static final Pattern FLUSH =
      Pattern.compile("\\b(?:fsync|fdatasync)\\(\\d+<([^>]*)>\\)\\s*=\\s*0");

  @TempDir Path dir;

  @Test
  void pairing_flushesOnlyTheJournal_andRemoving_flushesEveryOutputToo() throws Exception {
    assumeTrue(Files.isExecutable(STRACE), "needs strace to watch paird's fsync calls");
    PairdProcess.Options optionsA =
        PairdProcess.in(dir.resolve("a")).settings("rate_limit_per_minute = 6000");
    PairdProcess.Options optionsB = PairdProcess.in(dir.resolve("b"));
    PairdProcess.Options optionsC = PairdProcess.in(dir.resolve("c"));
    try (PairdProcess a = optionsA.start();
        PairdProcess b = optionsB.start();
        PairdProcess c = optionsC.start()) {
      Pairctl ctlA = optionsA.pairctl();
      Pairctl ctlB = optionsB.pairctl();
      Pairctl ctlC = optionsC.pairctl();
      Path state = dir.resolve("a").resolve("state").toRealPath();
      String address = ctlA.json("status").path("listen").textValue();
      String key = ctlA.json("new-key").path("key").textValue();

      Flushes pairing =
          flushesDuring(
              a.pid(),
              () -> {
                Pairctl.Result pair = ctlB.run("--json", "pair", address, key);
                assertThat(pair.status()).as(pair.err()).isZero();
              },
              state.resolve("trusted.p12").toString());

      assertThat(pairing.answering())
          .as("a pairing makes the change durable in the journal, not by rewriting the list")
          .contains(state.resolve("trusted.journal").toString())
          .noneMatch(path -> path.startsWith(state + "/.trusted.json.tmp-"));
      assertThat(pairing.answering())
          .as("a pairing only adds trust: the files for other software are not flushed before")
          .noneMatch(path -> path.startsWith(state + "/.trusted.pem.tmp-"))
          .noneMatch(path -> path.startsWith(state + "/.trusted.p12.tmp-"))
          .doesNotContain(
              state.resolve("trusted.pem").toString(), state.resolve("trusted.p12").toString())
          .noneMatch(path -> path.startsWith(state + "/trusted-certs"));
      assertThat(pairing.background())
          .as("but by a thread of their own, after it")
          .contains(
              state.resolve("trusted.pem").toString(),
              state.resolve("trusted.p12").toString(),
              state.resolve("trusted-certs").toString(),
              state.toString());

      String peer = ctlA.json("list-trusted").path("peers").get(0).path("fingerprint").textValue();
      Pairctl.Result pairC =
          ctlC.run("--json", "pair", address, ctlA.json("new-key").path("key").textValue());
      assertThat(pairC.status()).as(pairC.err()).isZero();
      Flushes withdrawal = flushesDuring(a.pid(), removing(ctlA, peer), null);

      assertThat(withdrawal.answering())
          .as("a removal withdraws the certificate in place in both bundles and flushes them")
          .contains(
              state.resolve("trusted.journal").toString(),
              state.resolve("trusted.pem").toString(),
              state.resolve("trusted.p12").toString(),
              state.resolve("trusted-certs").toString())
          .noneMatch(path -> path.startsWith(state + "/.trusted.pem.tmp-"))
          .noneMatch(path -> path.startsWith(state + "/.trusted.p12.tmp-"));

      String last = ctlA.json("list-trusted").path("peers").get(0).path("fingerprint").textValue();
      Flushes removal = flushesDuring(a.pid(), removing(ctlA, last), null);

      assertThat(removal.answering())
          .as("the last removal leaves empty outputs: the journal and every output are flushed")
          .contains(state.resolve("trusted.journal").toString())
          .noneMatch(path -> path.startsWith(state + "/.trusted.json.tmp-"))
          .anyMatch(path -> path.startsWith(state + "/.trusted.pem.tmp-"))
          .anyMatch(path -> path.startsWith(state + "/.trusted.p12.tmp-"))
          .contains(state.toString(), state.resolve("trusted-certs").toString());
    }
    // A clean stop writes the journal's changes into the list, for an older paird to read.
    Path state = dir.resolve("a").resolve("state");
    assertThat(state.resolve("trusted.json")).exists();
    assertThat(state.resolve("trusted.journal")).isEmptyFile();
  }

  /** {@code pairctl remove FINGERPRINT}, which must succeed. */
  private static Action removing(Pairctl ctl, String fingerprint) {
    return () -> {
      Pairctl.Result remove = ctl.run("remove", fingerprint);
      assertThat(remove.status()).as(remove.err()).isZero();
    };
  }

  /** An action that may throw. */
  @FunctionalInterface
  private interface Action {
    void run() throws Exception;
  }

  /**
   * What paird flushed: by the threads that answer requests, and by its thread for flushes after
   * the answer ({@code paird-flush}).
   */
  private record Flushes(List<String> answering, List<String> background) {}

  /**
   * The paths that process {@code pid} flushed while {@code action} ran and, if {@code
   * backgroundUntil} is not null, until its background thread has flushed that path too.
   */
  private Flushes flushesDuring(long pid, Action action, String backgroundUntil) throws Exception {
    Path trace = Files.createTempFile(dir, "fsync", ".trace");
    Process strace =
        new ProcessBuilder(
                STRACE.toString(),
                // A file per thread (TRACE.TID): no call is split across lines by another
                // thread's, as with one file ("<unfinished ...>", "<... fsync resumed>"); and
                // which thread made it is known.
                "-ff",
                "-y",
                "-e",
                "trace=fsync,fdatasync",
                "-o",
                trace.toString(),
                "-p",
                Long.toString(pid))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    Set<String> background = new HashSet<>();
    Flushes flushes;
    try {
      awaitAttached(strace);
      action.run();
      flushes = read(trace, pid, background);
      long deadline = System.nanoTime() + ATTACH.toNanos();
      while (backgroundUntil != null && !flushes.background().contains(backgroundUntil)) {
        assertThat(System.nanoTime() - deadline)
            .as("the background flush of %s; seen so far: %s", backgroundUntil, flushes)
            .isNegative();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        flushes = read(trace, pid, background);
      }
    } finally {
      // SIGTERM makes strace detach from the threads it attached to, which then run on.
      strace.destroy();
      assertThat(strace.waitFor(ATTACH.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
    return read(trace, pid, background);
  }

  /**
   * The flushes strace has written so far into the files {@code trace}.TID, by thread; {@code
   * background} collects the ids of paird's flush thread, named while it lives (it ends when idle).
   */
  private Flushes read(Path trace, long pid, Set<String> background) throws IOException {
    List<String> answering = new ArrayList<>();
    List<String> after = new ArrayList<>();
    String prefix = trace.getFileName() + ".";
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
        String tid = file.getFileName().toString().substring(prefix.length());
        Path comm = Path.of("/proc", Long.toString(pid), "task", tid, "comm");
        try {
          if (Files.readString(comm).strip().equals("paird-flush")) {
            background.add(tid);
          }
        } catch (IOException ended) {
          // A thread that has ended: what it was is known from an earlier look, or it was not
          // the flush thread, which lives for a second after its last flush.
        }
        for (String line : Files.readAllLines(file)) {
          Matcher flush = FLUSH.matcher(line);
          if (flush.find()) {
            (background.contains(tid) ? after : answering).add(flush.group(1));
          }
        }
      }
    }
    return new Flushes(answering, after);
  }

  /**
   * Waits for strace's own word that it traces the process: with {@code -ff -p}, it attaches to
   * every thread first and then says so on standard error, once.
   */
  private static void awaitAttached(Process strace) throws Exception {
    BufferedReader messages =
        new BufferedReader(new InputStreamReader(strace.getErrorStream(), StandardCharsets.UTF_8));
    String first =
        CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return messages.readLine();
                  } catch (IOException e) {
                    return "(" + e + ")";
                  }
                })
            .get(ATTACH.toSeconds(), TimeUnit.SECONDS);
    assertThat(first).as("strace's first message").contains("attached");
  }
}
