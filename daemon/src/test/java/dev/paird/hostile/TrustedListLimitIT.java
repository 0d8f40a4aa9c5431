package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.daemon.Pairctl.Running;
import dev.paird.testing.OpenSslCli;
import dev.paird.trust.HubFill;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trusted list's cap, end to end: SECURITY.md, §7, "The trusted list holds at most 10,000
 * peers", and CONTROL.md, "Error codes": {@code limit_reached} (pairctl exit 5) when "the trusted
 * list is full". A hub's state directory is filled with 10,000 generated peers ({@link HubFill}, as
 * packaging/bench-hub.sh fills it), once for the class; a real paird starts on it, and two other
 * real pairds, each with an empty list, try to pair with it: one types a key the hub would issue,
 * the other issues a key the hub types. The test of a key issued before the list filled up starts
 * two more.
 *
 * <p>Each test leaves the hub full again: it removes generated peers to make room, and the pairings
 * that then succeed take that room with devices no other test uses.
 */
final class TrustedListLimitIT {
  /** SECURITY.md, §7 (TrustStore.DEFAULT_MAX_PEERS, which no setting changes). */
  private static final int CAP = 10_000;

  @TempDir static Path dir;
  private static LiveDaemon hub;

  /** Types a key the hub issues. */
  private static LiveDaemon client;

  /** Issues a key that the hub types. */
  private static LiveDaemon server;

  @BeforeAll
  static void start() throws Exception {
    HubFill.main(new String[] {dir.resolve("hub/state").toString(), Integer.toString(CAP)});
    hub = LiveDaemon.start(dir, "hub");
    client = LiveDaemon.start(dir, "client");
    server = LiveDaemon.start(dir, "server");
    assertThat(trustedPeers(hub)).as("the hub's list, as status counts it").isEqualTo(CAP);
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(hub, client, server);
  }

  /**
   * CONTROL.md, {@code new-key} and "Error codes": a hub whose list is full refuses to issue a key
   * that no new device could pair with: limit_reached, exit 5, a message that says the list is
   * full, how to make room, and how a device already on it pairs again; no key is pending and its
   * files are as they were. Once one peer is removed, it issues a key, the device pairs with it,
   * and each trusts the other.
   */
  @Test
  void fullHub_refusesNewKey_withLimitReached_untilAPeerIsRemoved() throws Exception {
    Map<String, String> files = hub.ctl.trustFiles();

    Result refused = hub.ctl.run("--json", "new-key");

    assertLimitReached(refused);
    assertThat(refused.err()).contains("make the key on that device and run pairctl pair");
    assertThat(hub.ctl.look(Command.LIST_KEYS).path("keys")).as("keys pending").isEmpty();
    assertUnchanged(hub, files);

    makeRoom();
    JsonNode issued = hub.newKey();
    Result paired = client.pair(hub.address, issued.path("key").textValue());

    assertThat(paired.status()).as(paired.err()).isZero();
    assertThat(trustedPeers(hub)).isEqualTo(CAP);
    assertThat(hub.trusted()).as("the hub's list").hasSize(CAP).endsWith(fingerprint(client));
    assertThat(client.trusted()).containsExactly(fingerprint(hub));
  }

  /**
   * CONTROL.md, {@code pair} and "Error codes", and PROTOCOL.md, §7: a hub whose list is full
   * refuses to pair as the client with a device not on its list, before its first frame:
   * limit_reached, exit 5, a message that says the list is full and how to make room; its files are
   * as they were, and the other device, which issued the key, trusts nobody and still has the key
   * pending with every attempt left. Once one peer is removed, the same key pairs them; with the
   * list full again, that device, now on it, pairs again, which needs no room.
   */
  @Test
  void fullHub_refusesToPair_withLimitReached_untilAPeerIsRemoved() throws Exception {
    Map<String, String> files = hub.ctl.trustFiles();
    JsonNode issued = server.newKey();
    String key = issued.path("key").textValue();
    String id = issued.path("id").textValue();

    Result refused = hub.pair(server.address, key);

    assertLimitReached(refused);
    assertUnchanged(hub, files);
    assertThat(server.trusted()).as("trusted by the other device").isEmpty();
    assertThat(server.attemptsLeft(id)).as("attempts left on the other device's key").isEqualTo(3);

    makeRoom();
    Result paired = hub.pair(server.address, key);

    assertThat(paired.status()).as(paired.err()).isZero();
    assertThat(paired.json().path("peer").path("fingerprint").textValue())
        .isEqualTo(fingerprint(server));
    assertThat(trustedPeers(hub)).isEqualTo(CAP);
    assertThat(server.trusted()).containsExactly(fingerprint(hub));

    Result again = hub.pair(server.address, server.newKey().path("key").textValue());

    assertThat(again.status()).as(again.err()).isZero();
    assertThat(trustedPeers(hub)).isEqualTo(CAP);
    assertThat(hub.trusted()).contains(fingerprint(server));
  }

  /**
   * PROTOCOL.md, §3 and §4 ("If persisting fails it answers ERROR(INTERNAL)"), and CONTROL.md,
   * {@code peer_failed} and {@code wait-key}: a key issued while the hub had room, used once a
   * pairing with another device has filled the list, cannot be honoured. The device that typed it
   * gets peer_failed (exit 6) and trusts nobody; the hub's {@code new-key --wait} reports {@code
   * failed}, its log says the list is full, and its files are as they were. Once one peer is
   * removed, a new key pairs the same device.
   */
  @Test
  void keyIssuedWithRoom_usedOnceTheListIsFull_isPeerFailed_andNobodyTrustsAnybody()
      throws Exception {
    LiveDaemon filler = null;
    LiveDaemon late = null;
    try {
      filler = LiveDaemon.start(dir, "filler");
      late = LiveDaemon.start(dir, "late");
      makeRoom();
      try (Running waiting = hub.ctl.start("--json", "new-key", "--wait")) {
        String key = waiting.readJson().path("key").textValue();
        hub.keys.add(key);
        Result filled = filler.pair(hub.address, hub.newKey().path("key").textValue());
        assertThat(filled.status()).as(filled.err()).isZero();
        assertThat(trustedPeers(hub)).isEqualTo(CAP);
        Map<String, String> files = hub.ctl.trustFiles();

        Result refused = late.pair(hub.address, key);
        JsonNode outcome = waiting.readJson();
        Result ended = waiting.finish();

        assertThat(refused.status()).as(refused.err()).isEqualTo(6);
        assertThat(refused.json().path("error").path("code").textValue()).isEqualTo("peer_failed");
        assertThat(outcome.path("outcome").textValue()).as("%s", outcome).isEqualTo("failed");
        assertThat(ended.status()).as(ended.err()).isEqualTo(5);
        hub.process.awaitLogLine(
            line -> line.contains("the trusted list is full"),
            "saying why the pairing failed",
            Duration.ofSeconds(10));
        assertUnchanged(hub, files);
        assertThat(hub.trusted()).doesNotContain(fingerprint(late));
        assertThat(late.trusted()).as("trusted by the device that typed the key").isEmpty();
      }

      makeRoom();
      Result paired = late.pair(hub.address, hub.newKey().path("key").textValue());

      assertThat(paired.status()).as(paired.err()).isZero();
      assertThat(hub.trusted()).hasSize(CAP).endsWith(fingerprint(late));
      assertThat(late.trusted()).containsExactly(fingerprint(hub));
    } finally {
      LiveDaemon.closeAll(filler, late);
    }
  }

  /**
   * PROTOCOL.md, §7, and CONTROL.md, {@code pair}: a hub with one place left holds it for a pairing
   * as the client from the moment TLS shows it the server's certificate until the pairing ends. The
   * hub pairs with one device through a relay that holds back that device's proof once it has saved
   * the hub; meanwhile a pairing of the hub with a second device is refused before its first frame
   * (limit_reached, exit 5, the message counting the pairing in progress), and the second device
   * trusts nobody and keeps every attempt of its key. Released, the first pairing ends with each
   * device trusting the other and the hub full. Without the hold the second pairing ran: the second
   * device saved the hub, and the hub, full by then, could not save it.
   */
  @Test
  void hubPairingAsClient_holdsItsPlace_soAnotherPairingIsRefusedBeforeItsFirstFrame()
      throws Exception {
    LiveDaemon first = null;
    LiveDaemon second = null;
    try {
      first = LiveDaemon.start(dir, "first");
      second = LiveDaemon.start(dir, "second");
      makeRoom();
      String firstKey = first.newKey().path("key").textValue();
      hub.keys.add(firstKey);
      JsonNode issued = second.newKey();
      String secondKey = issued.path("key").textValue();
      hub.keys.add(secondKey);
      LiveDaemon server = first;

      // The first device sends its proof only once it trusts the hub: then the relay holds it.
      try (HoldingRelay relay =
              HoldingRelay.start(first.pairingPort, r -> !server.trusted().isEmpty());
          ControlConnection control = ControlConnection.open(hub.socket)) {
        control.send(
            "{\"v\":1,\"command\":\"pair\",\"id\":1,\"args\":{\"host\":\""
                + relay.address()
                + "\",\"key\":\""
                + firstKey
                + "\"}}");
        relay.holding.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(first.trusted()).as("the first device saved the hub").hasSize(1);

        Result refused = hub.pair(second.address, secondKey);

        assertThat(refused.status()).as("exit status; stderr: %s", refused.err()).isEqualTo(5);
        assertThat(refused.json().path("error").path("code").textValue())
            .isEqualTo("limit_reached");
        assertThat(refused.err())
            .contains(
                "the trusted list is full ("
                    + (CAP - 1)
                    + " peers and 1 being paired with, at most "
                    + CAP
                    + ")");
        assertThat(second.trusted()).as("trusted by the second device").isEmpty();
        assertThat(second.attemptsLeft(issued.path("id").textValue()))
            .as("attempts left on the second device's key")
            .isEqualTo(3);

        relay.released.complete(null);
        JsonNode answer = Pairctl.JSON.readTree(control.readLine(BOUND));
        assertThat(answer.path("ok").asBoolean()).as("%s", answer).isTrue();
      }
      assertThat(trustedPeers(hub)).isEqualTo(CAP);
      assertThat(hub.trusted()).endsWith(fingerprint(first)).doesNotContain(fingerprint(second));
      assertThat(first.trusted()).containsExactly(fingerprint(hub));
    } finally {
      LiveDaemon.closeAll(first, second);
    }
  }

  /** Bounds each wait for the relay and for the held pairing's answer. */
  private static final Duration BOUND = Duration.ofSeconds(30);

  /** pairctl's answer to a request refused because the list is full, as CONTROL.md says it. */
  private static void assertLimitReached(Result refused) throws Exception {
    assertThat(refused.status()).as("exit status; stderr: %s", refused.err()).isEqualTo(5);
    assertThat(refused.json().path("error").path("code").textValue()).isEqualTo("limit_reached");
    assertThat(refused.err())
        .as("what the person reads")
        .contains("the trusted list is full (" + CAP + " peers, at most " + CAP + ")")
        .contains("pairctl remove");
  }

  /** The hub's list and its outputs are byte for byte as in {@code before}; the count too. */
  private static void assertUnchanged(LiveDaemon daemon, Map<String, String> before)
      throws Exception {
    assertThat(daemon.ctl.trustFiles()).as("the hub's trust files").isEqualTo(before);
    assertThat(trustedPeers(daemon)).as("the hub's peers").isEqualTo(CAP);
    assertThat(daemon.ctl.look(Command.LIST_TRUSTED).path("peers")).hasSize(CAP);
  }

  /** {@code pairctl remove} of the hub's oldest generated peer, by its full fingerprint. */
  private static void makeRoom() throws Exception {
    String oldest =
        hub.ctl.look(Command.LIST_TRUSTED).path("peers").get(0).path("fingerprint").textValue();
    Result removed = hub.ctl.run("--json", "remove", oldest);
    assertThat(removed.status()).as(removed.err()).isZero();
    assertThat(trustedPeers(hub)).isEqualTo(CAP - 1);
  }

  private static int trustedPeers(LiveDaemon daemon) throws Exception {
    return daemon.ctl.look(Command.STATUS).path("trusted_peers").intValue();
  }

  private static String fingerprint(LiveDaemon daemon) {
    return OpenSslCli.fingerprint(daemon.identity.cert());
  }
}
