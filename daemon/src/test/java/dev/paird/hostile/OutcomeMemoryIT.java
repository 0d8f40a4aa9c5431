package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.daemon.Pairctl;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key that finished in the last 10 minutes still reports its outcome to {@code wait-key}, and one
 * that finished longer ago is {@code not_found} (CONTROL.md, {@code wait-key}): the memory is
 * bounded in time, and the time is paird's monotonic clock.
 *
 * <p>Ten minutes are not waited for. The server runs under a {@link LibFaketime} that moves its
 * monotonic clock together with its wall clock, which to paird is the same as not being scheduled
 * for that long. A key pending across each jump shows that paird's monotonic clock did move: its
 * five minutes are over at once.
 */
final class OutcomeMemoryIT {
  @TempDir static Path dir;
  private static LibFaketime clock;
  private static LiveDaemon server;
  private static LiveDaemon client;

  @BeforeAll
  static void start() throws Exception {
    clock = LibFaketime.in(dir);
    server =
        LiveDaemon.start(
            dir,
            "server",
            options -> options.wrapper(clock.wrapper(LibFaketime.Clocks.WALL_AND_MONOTONIC)));
    client = LiveDaemon.start(dir, "client");
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(server, client);
  }

  @Test
  void waitKey_reportsAnOutcomeForTenMinutes_thenNotFound() throws Exception {
    JsonNode used = server.newKey();
    String id = used.path("id").textValue();
    Pairctl.Result pair = client.pair(server.address, used.path("key").textValue());
    assertThat(pair.status()).as(pair.err()).isZero();
    String clientFingerprint = client.ctl.json("status").path("fingerprint").textValue();
    assertThat(waitKey(id).path("result").path("peer").path("fingerprint").textValue())
        .as("wait-key %s right after the pairing", id)
        .isEqualTo(clientFingerprint);
    String probe = server.newKey("--ttl", "5m").path("id").textValue();

    clock.set("+9m");

    assertThat(outcome(waitKey(probe)))
        .as("a five-minute key after paird's clock moved nine minutes")
        .isEqualTo("expired");
    JsonNode nineMinutesOn = waitKey(id);
    assertThat(outcome(nineMinutesOn)).as("wait-key %s: %s", id, nineMinutesOn).isEqualTo("paired");
    assertThat(nineMinutesOn.path("result").path("peer").path("fingerprint").textValue())
        .isEqualTo(clientFingerprint);

    clock.set("+11m");

    JsonNode elevenMinutesOn = waitKey(id);
    assertThat(elevenMinutesOn.path("ok").booleanValue()).as("%s", elevenMinutesOn).isFalse();
    assertThat(elevenMinutesOn.path("error").path("code").textValue()).isEqualTo("not_found");
    assertThat(outcome(waitKey(probe)))
        .as("the probe, which finished about six minutes ago, is still remembered")
        .isEqualTo("expired");
  }

  /** {@code wait-key} as raw JSON on the control socket, as any program may send it. */
  private static JsonNode waitKey(String id) throws Exception {
    return Pairctl.JSON.readTree(
        Pairctl.exchange(
            server.socket,
            "{\"v\":1,\"command\":\"wait-key\",\"args\":{\"id\":\"" + id + "\"}}\n"));
  }

  private static String outcome(JsonNode answer) {
    assertThat(answer.path("ok").booleanValue()).as("%s", answer).isTrue();
    return answer.path("result").path("outcome").textValue();
  }
}
