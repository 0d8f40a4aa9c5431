package dev.paird.ctl;

import static dev.paird.ctl.FakeDaemon.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.Spake2Code;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The launcher packaging/bin/pairctl writing into a pipe whose reader has gone ({@code pairctl
 * list-trusted | head -1}) and onto a full disk (/dev/full), against {@link FakeDaemon}: an answer
 * that was only to be shown ends silently with 141 when its reader went away and with a message and
 * 1 when it could not be written; a change is said on stderr either way, and a new key is
 * cancelled.
 */
final class ClosedOutputIT {
  private static final String FINGERPRINT =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  private static final String PEER =
      "{\"fingerprint\":\"" + FINGERPRINT + "\",\"subject\":\"CN=laptop\",\"label\":\"work\"}";
  private static final String KEY =
      Spake2Code.create(42, "31415926".getBytes(StandardCharsets.US_ASCII)).format();

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "list-trusted",
        "--json list-trusted",
        "status",
        "list-keys",
        "show 9f86 --pem",
      })
  void answerThatOnlyShows_readerGone_endsSilentlyWith141(String command) throws Exception {
    String result =
        "{\"peers\":["
            + PEER
            + "],\"keys\":[],\"version\":\"0.1.0\",\"peer\":"
            + PEER
            + ","
            + "\"certificate\":\"-----BEGIN CERTIFICATE-----\\nMA==\\n-----END CERTIFICATE-----\\n\"}";
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok(result))) {
      Launcher.Run run = intoClosedPipe(command);

      assertThat(run.status()).as(run.err()).isEqualTo(141);
      assertThat(run.err()).isEmpty();
      assertThat(paird.requests()).hasSize(1);
    }
  }

  @Test
  void help_readerGone_endsSilentlyWith141() throws Exception {
    Launcher.Run run = intoClosedPipe("--help");

    assertThat(run.status()).as(run.err()).isEqualTo(141);
    assertThat(run.err()).isEmpty();
  }

  @Test
  void status_onAFullDisk_saysTheAnswerIsLost() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{\"version\":\"0.1.0\"}"))) {
      Launcher.Run run = onFullDisk("status");

      assertThat(run.status()).isEqualTo(1);
      assertThat(run.err())
          .startsWith("pairctl: cannot write to standard output, so the answer is lost")
          .doesNotContain("Exception");
    }
  }

  /** The peer is no longer trusted: a retry would only find nothing to remove. */
  @ParameterizedTest
  @ValueSource(strings = {"remove 9f86", "--json remove 9f86"})
  void remove_readerGone_saysItWasDone(String command) throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{\"removed\":" + PEER + "}"))) {
      Launcher.Run run = intoClosedPipe(command);

      assertThat(run.status()).isEqualTo(141);
      assertThat(run.err())
          .isEqualTo(
              "pairctl: the program reading pairctl's output stopped before the answer was"
                  + " written; done all the same: this device no longer trusts work (CN=laptop),"
                  + " fingerprint "
                  + FINGERPRINT
                  + "\n");
    }
  }

  @Test
  void remove_onAFullDisk_saysItWasDone() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{\"removed\":" + PEER + "}"))) {
      Launcher.Run run = onFullDisk("remove", "9f86");

      assertThat(run.status()).isEqualTo(1);
      assertThat(run.err())
          .isEqualTo(
              "pairctl: cannot write to standard output, so the answer is lost; done all the"
                  + " same: this device no longer trusts work (CN=laptop), fingerprint "
                  + FINGERPRINT
                  + "\n");
    }
  }

  /** The whole fingerprint: what the person would have checked in the lost answer. */
  @Test
  void pair_readerGone_namesThePeerNowTrusted() throws Exception {
    try (FakeDaemon paird =
        FakeDaemon.start(socket(), ok("{\"pending_keys\":0}"), ok("{\"peer\":" + PEER + "}"))) {
      Launcher.Run run = intoClosedPipe("pair", "127.0.0.1", KEY);

      assertThat(run.status()).isEqualTo(141);
      assertThat(run.err())
          .isEqualTo(
              "pairctl: the program reading pairctl's output stopped before the answer was"
                  + " written; done all the same: paired with work (CN=laptop), fingerprint "
                  + FINGERPRINT
                  + "; each device now trusts the other\n");
    }
  }

  @Test
  void cancelKey_readerGone_saysItWasDone() throws Exception {
    try (FakeDaemon paird = FakeDaemon.start(socket(), ok("{\"id\":\"42\",\"cancelled\":true}"))) {
      Launcher.Run run = intoClosedPipe("cancel-key", "42");

      assertThat(run.status()).isEqualTo(141);
      assertThat(run.err()).endsWith("; done all the same: key 42 is cancelled\n");
    }
  }

  /**
   * The reader may have taken the key's line before it went: the key is cancelled, and stderr says
   * so, lest someone type it on the other device.
   */
  @ParameterizedTest
  @ValueSource(strings = {"new-key", "--json new-key", "new-key --wait"})
  void newKey_readerGone_isCancelledAndSaysSo(String command) throws Exception {
    String issued =
        "{\"id\":\"42\",\"key\":\""
            + KEY
            + "\",\"suite\":\"spake2\",\"expires_at\":\"2036-11-25T18:05:00Z\","
            + "\"host\":\"kitchen-pi\",\"port\":7247}";
    try (FakeDaemon paird =
        FakeDaemon.start(socket(), ok(issued), ok("{\"id\":\"42\",\"cancelled\":true}"))) {
      Launcher.Run run = intoClosedPipe(command);

      assertThat(run.status()).isEqualTo(141);
      assertThat(run.err())
          .isEqualTo(
              "pairctl: the program reading pairctl's output stopped before the new key was"
                  + " shown in full; pairctl has cancelled it (key 42), so no device can use"
                  + " it\n");
      assertThat(paird.requests()).hasSize(2);
      assertThat(paird.requests().get(1)).contains("\"cancel-key\"").contains("\"id\":\"42\"");
    }
  }

  private Path socket() {
    return dir.resolve("control.sock");
  }

  private List<String> args(String... words) {
    return Stream.concat(
            Stream.of("--socket", socket().toString()),
            Stream.of(words).flatMap(word -> Stream.of(word.split(" "))))
        .toList();
  }

  private Launcher.Run intoClosedPipe(String... words) throws Exception {
    return Launcher.runIntoClosedPipe(dir, dir.resolve("err.txt"), args(words));
  }

  private Launcher.Run onFullDisk(String... words) throws Exception {
    return Launcher.run(dir, new File("/dev/full"), dir.resolve("err.txt"), args(words));
  }
}
