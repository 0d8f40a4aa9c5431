package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl.Result;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/CONTROL.md, {@code pair}: a pairing whose requester goes away before its answer is
 * abandoned. Device B pairs with device A through a TCP relay in the test that passes the TLS
 * records on unchanged (TLS runs from B to A) but holds back the first one A sends once it trusts
 * B: A's proof (HMAC_RESPONSE or SPAKE2_SERVER_CONFIRM, PROTOCOL.md §3, §4), which A sends only
 * after saving B. The test then closes the control connection that asked for the pair, as pairctl
 * timing out or interrupted does, and only then releases the proof. B must close its connection to
 * A at once, audit the pair as abandoned, trust nobody (its trusted-list files unchanged) and pair
 * afterwards as before. A trusts B: the one-sided outcome of PROTOCOL.md §7.
 */
final class AbandonedPairIT {
  private static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir static Path dir;
  private static LiveDaemon a;
  private static LiveDaemon b;

  @BeforeAll
  static void start() throws Exception {
    a = LiveDaemon.start(dir, "a");
    b = LiveDaemon.start(dir, "b");
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(a, b);
  }

  @ParameterizedTest
  @ValueSource(strings = {"hmac", "spake2"})
  void requesterGoneBeforeTheServersProof_bClosesAtOnce_trustsNobody_andStillPairs(String suite)
      throws Exception {
    String key = a.newKey("--suite", suite).path("key").textValue();
    b.keys.add(key);
    String bFingerprint = b.ctl.look(Command.STATUS).path("fingerprint").textValue();
    Map<String, String> bFilesBefore = b.ctl.trustFiles();

    // A sends its proof only once it trusts B: from then on the relay holds A's records.
    try (HoldingRelay relay = HoldingRelay.start(a.pairingPort, r -> !a.trusted().isEmpty())) {
      try (ControlConnection control = ControlConnection.open(b.socket)) {
        control.send(
            "{\"v\":1,\"command\":\"pair\",\"id\":1,\"args\":{\"host\":\""
                + relay.address()
                + "\",\"key\":\""
                + key
                + "\"}}");
        relay.holding.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(a.trusted()).as("A saved B before its proof").containsExactly(bFingerprint);
      } // the requester goes away, the proof still held

      String host = "host=" + relay.address() + " ";
      b.process.awaitLogLine(
          line ->
              line.contains("command=pair")
                  && line.contains(host)
                  && line.endsWith("result=abandoned"),
          "B auditing the abandoned pair",
          BOUND);
      relay.clientClosed.get(BOUND.toSeconds(), TimeUnit.SECONDS);

      relay.released.complete(null);
      relay.passedBack.get(BOUND.toSeconds(), TimeUnit.SECONDS);
    }

    assertThat(b.trusted()).as("B trusts nobody").isEmpty();
    assertThat(b.ctl.trustFiles()).as("B's trusted-list files").isEqualTo(bFilesBefore);
    assertThat(b.process.log()).doesNotContain("Exception");

    // B is as before: A, forgetting B, issues a new key, and B pairs with it directly.
    assertThat(a.ctl.run("remove", bFingerprint).status()).isZero();
    String again = a.newKey("--suite", suite).path("key").textValue();
    Result direct = b.pair(a.address, again);
    assertThat(direct.status()).as(direct.err()).isZero();
    assertThat(a.trusted()).containsExactly(bFingerprint);
    assertThat(b.trusted()).hasSize(1);
    a.ctl.forgetAll();
    b.ctl.forgetAll();
  }
}
