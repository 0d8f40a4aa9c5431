package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.Pairctl.Result;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/CONTROL.md, {@code ping}: a ping whose requester goes away before its answer is abandoned.
 * Devices A and B trust each other; B pings A through a TCP relay in the test that passes the TLS
 * records on unchanged (TLS runs from B to A) but holds back what A sends after the handshake: its
 * PONG. The test closes the control connection that asked for the ping, as pairctl timing out or
 * interrupted does, and only then releases the PONG. B must close its connection to A at once,
 * change nothing and audit nothing (ping changes no state), and ping as before afterwards. The same
 * ping whose requester stays is answered once the PONG is released: what the relay held was the
 * answer, and B waited for it with its connection open.
 */
final class AbandonedPingIT {
  private static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir static Path dir;
  private static LiveDaemon a;
  private static LiveDaemon b;
  private static String aFingerprint;

  @BeforeAll
  static void start() throws Exception {
    a = LiveDaemon.start(dir, "a");
    // Only an abandoned ping closes B's connection to A within BOUND, not its exchange deadline.
    b = LiveDaemon.start(dir, "b", "exchange_timeout = 5m");
    Result paired = b.pair(a.address, a.newKey().path("key").textValue());
    assertThat(paired.status()).as(paired.err()).isZero();
    aFingerprint = a.ctl.look(Command.STATUS).path("fingerprint").textValue();
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(a, b);
  }

  @Test
  void requesterGoneBeforeThePong_bClosesAtOnce_changesNothing_andStillPings() throws Exception {
    Map<String, String> aFilesBefore = a.ctl.trustFiles();
    Map<String, String> bFilesBefore = b.ctl.trustFiles();

    try (HoldingRelay relay =
        HoldingRelay.start(a.pairingPort, HoldingRelay.Hold.AFTER_THE_HANDSHAKE)) {
      try (ControlConnection control = ControlConnection.open(b.socket)) {
        control.send(ping(relay));
        relay.holding.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      } // the requester goes away, the PONG still held

      relay.clientClosed.get(BOUND.toSeconds(), TimeUnit.SECONDS);

      relay.released.complete(null);
      relay.passedBack.get(BOUND.toSeconds(), TimeUnit.SECONDS);
    }

    assertThat(a.ctl.trustFiles()).as("A's trusted-list files").isEqualTo(aFilesBefore);
    assertThat(b.ctl.trustFiles()).as("B's trusted-list files").isEqualTo(bFilesBefore);
    assertThat(b.process.log()).doesNotContain("command=ping").doesNotContain("Exception");

    Result direct = b.ctl.run("--json", "ping", a.address);
    assertThat(direct.status()).as(direct.err()).isZero();
    assertThat(direct.json().path("peer").path("fingerprint").textValue()).isEqualTo(aFingerprint);
  }

  @Test
  void requesterStaying_isAnsweredOnceThePongIsReleased() throws Exception {
    try (HoldingRelay relay =
            HoldingRelay.start(a.pairingPort, HoldingRelay.Hold.AFTER_THE_HANDSHAKE);
        ControlConnection control = ControlConnection.open(b.socket)) {
      control.send(ping(relay));
      relay.holding.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      assertThat(relay.clientClosed).as("B's connection to A, while the PONG is held").isNotDone();

      relay.released.complete(null);
      JsonNode answer = Pairctl.JSON.readTree(control.readLine(BOUND));

      assertThat(answer.path("ok").asBoolean()).as("%s", answer).isTrue();
      assertThat(answer.path("result").path("peer").path("fingerprint").textValue())
          .isEqualTo(aFingerprint);
    }
  }

  /** The ping request for A through {@code relay}, as a program other than pairctl may send it. */
  private static String ping(HoldingRelay relay) {
    return "{\"v\":1,\"command\":\"ping\",\"id\":1,\"args\":{\"host\":\""
        + relay.address()
        + "\"}}";
  }
}
