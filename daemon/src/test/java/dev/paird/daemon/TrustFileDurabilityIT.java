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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What SECURITY.md ("Files") promises about the disk, watched from outside a real paird: strace,
 * attached to the running JVM, records every fsync with the path of the file or directory it
 * flushed. A pairing flushes the trusted list's journal and none of the files for other software,
 * nor trusted.json, which only a compaction rewrites; a removal flushes the journal and every file
 * for other software, so that a crash cannot bring a removed device back into what nginx or Java
 * reads.
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
    try (PairdProcess a = optionsA.start();
        PairdProcess b = optionsB.start()) {
      Pairctl ctlA = optionsA.pairctl();
      Pairctl ctlB = optionsB.pairctl();
      Path state = dir.resolve("a").resolve("state").toRealPath();
      String address = ctlA.json("status").path("listen").textValue();
      String key = ctlA.json("new-key").path("key").textValue();

      List<String> pairing =
          flushesDuring(
              a.pid(),
              () -> {
                Pairctl.Result pair = ctlB.run("--json", "pair", address, key);
                assertThat(pair.status()).as(pair.err()).isZero();
              });

      assertThat(pairing)
          .as("a pairing makes the change durable in the journal, not by rewriting the list")
          .contains(state.resolve("trusted.journal").toString())
          .noneMatch(path -> path.startsWith(state + "/.trusted.json.tmp-"));
      assertThat(pairing)
          .as("a pairing only adds trust: the files for other software are not flushed")
          .noneMatch(path -> path.startsWith(state + "/.trusted.pem.tmp-"))
          .noneMatch(path -> path.startsWith(state + "/.trusted.p12.tmp-"))
          .noneMatch(path -> path.startsWith(state + "/trusted-certs"));

      String peer = ctlA.json("list-trusted").path("peers").get(0).path("fingerprint").textValue();
      List<String> removal =
          flushesDuring(
              a.pid(),
              () -> {
                Pairctl.Result remove = ctlA.run("remove", peer);
                assertThat(remove.status()).as(remove.err()).isZero();
              });

      assertThat(removal)
          .as("a removal withdraws trust: the journal and every output are flushed")
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

  /** An action that may throw. */
  @FunctionalInterface
  private interface Action {
    void run() throws Exception;
  }

  /** The paths that process {@code pid} flushed while {@code action} ran. */
  private List<String> flushesDuring(long pid, Action action) throws Exception {
    Path trace = Files.createTempFile(dir, "fsync", ".trace");
    Process strace =
        new ProcessBuilder(
                STRACE.toString(),
                // A file per thread (TRACE.TID): no call is split across lines by another
                // thread's, as with one file ("<unfinished ...>", "<... fsync resumed>").
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
    try {
      awaitAttached(strace);
      action.run();
    } finally {
      // SIGTERM makes strace detach from the threads it attached to, which then run on.
      strace.destroy();
      assertThat(strace.waitFor(ATTACH.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
    List<String> paths = new ArrayList<>();
    String prefix = trace.getFileName() + ".";
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
        for (String line : Files.readAllLines(file)) {
          Matcher flush = FLUSH.matcher(line);
          if (flush.find()) {
            paths.add(flush.group(1));
          }
        }
      }
    }
    return paths;
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
