package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.ExitStatus;
import dev.paird.api.Spake2Code;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.daemon.Pairctl.Running;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pairing end to end: two or three real paird processes on loopback, each with a certificate and
 * key that the openssl command made, driven by pairctl exactly as people type it. Device A makes
 * the key ({@code new-key}); B, and in some tests C, types it ({@code pair}). Every check is on
 * what a person can see: exit statuses, pairctl's messages, the trusted list compared with the
 * fingerprint {@code openssl x509 -fingerprint} prints, and {@code ping} in both directions.
 *
 * <p>Devices A, B and C are started once and shared: before each test every pending key is
 * cancelled and every trusted peer removed, so that each test finds them as freshly started. The
 * two tests that need a device of another kind (an RSA key, a lower key-lifetime floor) start it.
 * The lists the checks read come from pairctl's client code in this JVM ({@link Pairctl#look}), the
 * same objects that {@code pairctl --json} prints; what a person types runs pairctl. Once the
 * daemons are stopped, their logs are checked for every key they issued or were given.
 */
final class PairingIT {
  @TempDir static Path dir;
  private static Identity idA;
  private static Identity idB;
  private static Identity idC;
  private static Identity idRsa;

  /**
   * Every test pairs from 127.0.0.1 with the same daemons, more than the default 30 connections a
   * minute from one source that paird accepts; its limits are tested elsewhere.
   */
  private static final String[] SETTINGS = {"rate_limit_per_minute = 6000"};

  /** The devices that make keys, type them, and a third where a test needs one; shared. */
  private static Device a;

  private static Device b;
  private static Device c;

  private static final List<PairdProcess> shared = new ArrayList<>();

  /** Every key a daemon issued or was given, wrong ones too: none may appear in a log. */
  private static final List<String> keys = new ArrayList<>();

  @TempDir Path tmp;

  /** The daemons a test starts for itself. */
  private final List<PairdProcess> started = new ArrayList<>();

  /** A device's certificate and key files, and the fingerprint openssl gives the certificate. */
  private record Identity(String name, SelfSigned files, String fingerprint) {
    static Identity create(String name, KeyType type) {
      SelfSigned files = OpenSslCli.newSelfSigned(dir, name, type);
      return new Identity(name, files, OpenSslCli.fingerprint(files.cert()));
    }

    String subject() {
      return "CN=" + name;
    }
  }

  /** A running paird with the pairctl that drives it, and its pairing address. */
  private record Device(Identity identity, Pairctl ctl, String address, JsonNode status) {
    String fingerprint() {
      return identity.fingerprint();
    }
  }

  @BeforeAll
  static void startTheSharedDevices() throws Exception {
    idA = Identity.create("device-a", KeyType.EC_P256);
    idB = Identity.create("device-b", KeyType.EC_P256);
    idC = Identity.create("device-c", KeyType.EC_P256);
    idRsa = Identity.create("device-r", KeyType.RSA_3072);
    List<Device> devices = start(shared, dir, Optional.empty(), SETTINGS, idA, idB, idC);
    a = devices.get(0);
    b = devices.get(1);
    c = devices.get(2);
  }

  @BeforeEach
  void freshDevices() throws Exception {
    for (Device device : List.of(a, b, c)) {
      device.ctl().forgetAll();
    }
  }

  @AfterEach
  void stopTheTestsOwnDevices() throws Exception {
    stopAndCheckTheLogsForKeys(started);
  }

  @AfterAll
  static void stopTheSharedDevices() throws Exception {
    stopAndCheckTheLogsForKeys(shared);
  }

  private static void stopAndCheckTheLogsForKeys(List<PairdProcess> daemons) throws Exception {
    for (PairdProcess paird : daemons) {
      paird.close();
    }
    for (PairdProcess paird : daemons) {
      paird.assertLogOmits(keys);
    }
  }

  @Test
  void pair_spake2_eachDeviceTrustsExactlyTheOther_andPingWorksBothWays() throws Exception {
    JsonNode issued = newKey(a);
    // As a person types it, without --json.
    Result pair = b.ctl().run("pair", a.address(), key(issued));

    assertThat(issued.path("suite").textValue()).isEqualTo("spake2");
    assertThat(key(issued)).matches("\\d{2}-\\d{4}-\\d{4}-\\d");
    // What new-key tells the person to type must reach this daemon: its real port, not 0.
    assertThat(a.address()).endsWith(":" + issued.path("port").intValue());
    assertThat(pair.status()).as(pair.err()).isZero();
    assertThat(pair.out())
        .startsWith("Paired with CN=device-a. Each device now trusts the" + " other.\n")
        .contains("  fingerprint  " + a.fingerprint() + "\n")
        // openssl req -x509 makes CA certificates (INTEGRATION.md, "Certificates that may sign").
        .contains("Its certificate may sign other certificates: ");
    assertTrustEachOther("spake2");
  }

  @Test
  void pair_hmac_withAnRsaDevice_eachDeviceTrustsExactlyTheOther() throws Exception {
    Device rsa = start(started, tmp, Optional.empty(), SETTINGS, idRsa).get(0);

    JsonNode issued = newKey(a, "--suite", "hmac");
    Result pair = pair(rsa, a, key(issued));

    assertThat(rsa.status().path("key_type").textValue()).isEqualTo("RSA 3072");
    assertThat(issued.path("suite").textValue()).isEqualTo("hmac");
    assertThat(pair.status()).as(pair.err()).isZero();
    assertTrustEachOther(a, rsa, "hmac");
  }

  @Test
  void pair_wrongKey_isRejected_trustsNobody_andCostsOneAttempt() throws Exception {
    JsonNode issued = newKey(a);
    int attemptsBefore = attemptsLeft(a, issued);

    Result pair = pair(b, a, wrongCode(key(issued), 1));

    assertRejected(pair);
    assertThat(attemptsBefore).isEqualTo(3);
    assertThat(attemptsLeft(a, issued)).isEqualTo(attemptsBefore - 1);
    assertTrustNobody(a, b);
  }

  /**
   * SECURITY.md, the table of secret digits, and PROTOCOL.md, §8: with {@code code_digits} at
   * either end of its range on the device that issues the key, new-key shows that many secret
   * digits as {@code SS-DDD-DDD-C} or {@code SS-DDDDD-DDDDD-C}; a wrong code of the same length is
   * rejected and costs an attempt, and the key itself pairs the two devices.
   */
  @ParameterizedTest
  @ValueSource(ints = {6, 10})
  void pair_codeDigitsAtEitherEndOfTheRange_wrongCodeIsRejected_keyPairs(int digits)
      throws Exception {
    String[] settings = {SETTINGS[0], "code_digits = " + digits};
    Device maker = start(started, tmp, Optional.empty(), settings, idA).get(0);
    JsonNode issued = newKey(maker);
    String key = key(issued);
    int first = (digits + 1) / 2;

    Result wrong = pair(b, maker, wrongCode(key, 1));

    assertThat(key).matches("\\d{2}-\\d{" + first + "}-\\d{" + (digits - first) + "}-\\d");
    assertRejected(wrong);
    assertThat(attemptsLeft(maker, issued)).isEqualTo(2);
    assertTrustNobody(maker, b);

    Result right = pair(b, maker, key);

    assertThat(right.status()).as(right.err()).isZero();
    assertTrustEachOther(maker, b, "spake2");
  }

  /**
   * A device given its own address (localhost, its own name) meets its own certificate: it says so
   * and sends nothing, so the key is not tried and stays pending, and it does not trust itself.
   */
  @Test
  void pair_withItsOwnAddress_isRefusedNamingTheMistake_andTheKeyStaysUntried() throws Exception {
    JsonNode issued = newKey(a);
    int attemptsBefore = attemptsLeft(a, issued);

    Result pair = pair(a, a, key(issued));

    assertThat(pair.status()).as(pair.err()).isEqualTo(ExitStatus.USAGE.code());
    assertThat(pair.err()).contains("presented this device's own certificate: it is this device");
    assertThat(attemptsLeft(a, issued)).isEqualTo(attemptsBefore);
    assertThat(trusted(a)).isEmpty();
  }

  @Test
  void pair_cancelledKey_isRejected() throws Exception {
    JsonNode issued = newKey(a);
    assertThat(a.ctl().run("cancel-key", issued.path("id").textValue()).status()).isZero();

    Result pair = pair(b, a, key(issued));

    assertRejected(pair);
    assertTrustNobody(a, b);
  }

  /**
   * The one test that lets real time pass. Unit tests expire keys with a fake clock; only here do
   * the daemon's real clock and its periodic sweep do it. Users' keys live at least 30 s; the
   * device that makes the key here is started with a floor of 2 s ({@link
   * PairdProcess.Options#keyLifetimeFloor}) and key_lifetime = 2s, so that the test waits seconds,
   * not half a minute. It does not sleep: it waits for new-key --wait to report the expiry, which
   * is the event itself, with pairctl's bound.
   */
  @Test
  void pair_expiredKey_isRejected_afterNewKeyWaitReportsTheExpiry() throws Exception {
    String[] settings = {SETTINGS[0], "key_lifetime = 2s"};
    Device maker = start(started, tmp, Optional.of(Duration.ofSeconds(2)), settings, idA).get(0);

    try (Running waiting = maker.ctl().start("--json", "new-key", "--wait")) {
      JsonNode issued = issued(waiting);
      JsonNode outcome = waiting.readJson();
      Instant reported = Instant.now();
      Result ended = waiting.finish();
      Result pair = pair(b, maker, key(issued));

      assertThat(outcome.path("outcome").textValue()).isEqualTo("expired");
      assertThat(reported).isAfterOrEqualTo(Instant.parse(issued.path("expires_at").textValue()));
      assertThat(ended.status()).isEqualTo(5);
      assertThat(ended.err())
          .startsWith(
              "pairctl: key " + issued.path("id").textValue() + " expired before a device used it");
      assertRejected(pair);
      assertTrustNobody(maker, b);
    }
  }

  @Test
  void pair_keyAlreadyUsed_isRejectedForAThirdDevice() throws Exception {
    String key = key(newKey(a));
    assertThat(pair(b, a, key).status()).isZero();

    Result again = pair(c, a, key);

    assertRejected(again);
    assertThat(trusted(a)).containsExactly(b.fingerprint());
    assertThat(trusted(c)).isEmpty();
  }

  @Test
  void pair_threeWrongAttempts_burnTheKey_andNewKeyWaitSaysSo() throws Exception {

    try (Running waiting = a.ctl().start("--json", "new-key", "--wait")) {
      JsonNode issued = issued(waiting);
      String key = key(issued);
      for (int shift = 1; shift <= 3; shift++) {
        assertRejected(pair(b, a, wrongCode(key, shift)));
      }
      Result right = pair(b, a, key);
      JsonNode outcome = waiting.readJson();
      Result ended = waiting.finish();

      assertRejected(right);
      assertThat(outcome.path("outcome").textValue()).isEqualTo("burned");
      assertThat(outcome.path("id").textValue()).isEqualTo(issued.path("id").textValue());
      assertThat(ended.status()).isEqualTo(5);
      assertThat(ended.err()).contains("was burned");
      assertThat(a.ctl().look(Command.LIST_KEYS).path("keys")).isEmpty();
      assertTrustNobody(a, b);
    }
  }

  @Test
  void pair_twoDevicesRacingForOneKey_exactlyOneWins() throws Exception {
    String key = key(newKey(a));

    Result viaB;
    Result viaC;
    try (Running fromB = b.ctl().start("--json", "pair", a.address(), key);
        Running fromC = c.ctl().start("--json", "pair", a.address(), key)) {
      viaB = fromB.finish();
      viaC = fromC.finish();
    }

    assertThat(List.of(viaB.status(), viaC.status()))
        .as("%s%s", viaB.err(), viaC.err())
        .containsExactlyInAnyOrder(0, 5);
    boolean bWon = viaB.status() == 0;
    Device winner = bWon ? b : c;
    Device loser = bWon ? c : b;
    assertRejected(bWon ? viaC : viaB);
    assertThat(trusted(a)).containsExactly(winner.fingerprint());
    assertThat(trusted(winner)).containsExactly(a.fingerprint());
    assertThat(trusted(loser)).isEmpty();
  }

  @Test
  void newKeyWait_reportsThePairedDevice() throws Exception {

    try (Running waiting = a.ctl().start("--json", "new-key", "--wait")) {
      JsonNode issued = issued(waiting);
      assertThat(waiting.isAlive()).isTrue();
      Result pair = pair(b, a, key(issued));
      JsonNode outcome = waiting.readJson();
      Result ended = waiting.finish();

      assertThat(pair.status()).as(pair.err()).isZero();
      assertThat(outcome.path("outcome").textValue()).isEqualTo("paired");
      assertThat(outcome.path("id").textValue()).isEqualTo(issued.path("id").textValue());
      assertThat(outcome.path("peer").path("fingerprint").textValue()).isEqualTo(b.fingerprint());
      assertThat(outcome.path("peer").path("subject").textValue())
          .isEqualTo(b.identity().subject());
      assertThat(ended.status()).as(ended.err()).isZero();
    }
  }

  @Test
  void pair_again_updatesTheEntriesOnBothDevices_andNeverDuplicatesThem() throws Exception {
    assertThat(pair(b, a, key(newKey(a)), "--label", "kitchen").status()).isZero();
    JsonNode firstOnA = onlyPeer(a);
    JsonNode firstOnB = onlyPeer(b);
    Map<Path, Object> outputs = outputInodes(a, b);

    Result again = pair(b, a, key(newKey(a, "--suite", "hmac")), "--label", "pantry");

    assertThat(again.status()).as(again.err()).isZero();
    // The same certificates: no output is replaced, so no paird-trust-changed hook runs for it.
    assertThat(outputInodes(a, b)).isEqualTo(outputs);
    JsonNode onA = onlyPeer(a);
    JsonNode onB = onlyPeer(b);
    assertThat(firstOnB.path("label").textValue()).isEqualTo("kitchen");
    assertThat(onB.path("label").textValue()).isEqualTo("pantry");
    assertThat(onB.path("fingerprint").textValue()).isEqualTo(a.fingerprint());
    assertThat(onA.path("fingerprint").textValue()).isEqualTo(b.fingerprint());
    for (JsonNode[] entry :
        List.of(new JsonNode[] {firstOnA, onA}, new JsonNode[] {firstOnB, onB})) {
      assertThat(entry[0].path("suite").textValue()).isEqualTo("spake2");
      assertThat(entry[1].path("suite").textValue()).isEqualTo("hmac");
      assertThat(entry[1].path("added_at")).isEqualTo(entry[0].path("added_at"));
      assertThat(instant(entry[1], "updated_at")).isAfter(instant(entry[0], "updated_at"));
    }
  }

  @Test
  void removedOnOneSide_pingSaysWhichSideRefuses_andPairingAgainRepairsIt() throws Exception {
    assertThat(pair(b, a, key(newKey(a))).status()).isZero();

    Result remove = b.ctl().run("remove", a.fingerprint());
    Result fromA = a.ctl().run("--json", "ping", b.address());
    Result fromB = b.ctl().run("--json", "ping", a.address());

    assertThat(remove.status()).as(remove.err()).isZero();
    assertThat(trusted(b)).isEmpty();
    assertThat(trusted(a)).containsExactly(b.fingerprint());
    assertThat(fromA.status()).isEqualTo(5);
    assertThat(fromA.json().path("error").path("code").textValue()).isEqualTo("not_trusted");
    assertThat(fromA.err())
        .startsWith(
            "pairctl: this device trusts the other, but the other"
                + " device does not trust this one");
    assertThat(fromB.status()).isEqualTo(5);
    assertThat(fromB.json().path("error").path("code").textValue()).isEqualTo("not_trusted");
    assertThat(fromB.err())
        .startsWith(
            "pairctl: the other device trusts this one, but this"
                + " device does not trust the other's certificate");

    Result repair = pair(b, a, key(newKey(a)));

    assertThat(repair.status()).as(repair.err()).isZero();
    assertTrustEachOther("spake2");
  }

  /**
   * Starts one paird per identity in {@code parent}, all at once, with {@code settings} and, if
   * given, a lower key-lifetime floor; adds them to {@code into}, waits until each is ready and
   * returns them as devices, in the order of the identities.
   */
  private static List<Device> start(
      List<PairdProcess> into,
      Path parent,
      Optional<Duration> keyLifetimeFloor,
      String[] settings,
      Identity... identities)
      throws Exception {
    List<PairdProcess> launched = new ArrayList<>();
    List<PairdProcess.Options> options = new ArrayList<>();
    for (Identity identity : identities) {
      PairdProcess.Options paird =
          PairdProcess.in(parent.resolve(identity.name()))
              .settings(settings)
              .identity(identity.files());
      keyLifetimeFloor.ifPresent(paird::keyLifetimeFloor);
      PairdProcess process = paird.launch();
      into.add(process);
      launched.add(process);
      options.add(paird);
    }
    List<Device> devices = new ArrayList<>();
    for (int i = 0; i < identities.length; i++) {
      launched.get(i).awaitReady();
      Pairctl ctl = options.get(i).pairctl();
      JsonNode status = ctl.look(Command.STATUS);
      // paird presents the certificate it was given: the one openssl made.
      assertThat(status.path("fingerprint").textValue()).isEqualTo(identities[i].fingerprint());
      String listen = status.path("listen").textValue();
      assertThat(listen).matches("127\\.0\\.0\\.1:[1-9][0-9]*");
      devices.add(new Device(identities[i], ctl, listen, status));
    }
    return devices;
  }

  /** The inodes of each device's trusted.pem and trusted.p12, which a rewrite would change. */
  private static Map<Path, Object> outputInodes(Device... devices) throws IOException {
    Map<Path, Object> inodes = new HashMap<>();
    for (Device device : devices) {
      Path state = Path.of(device.status().path("state_dir").textValue());
      for (String name : List.of("trusted.pem", "trusted.p12")) {
        inodes.put(state.resolve(name), Files.getAttribute(state.resolve(name), "unix:ino"));
      }
    }
    return inodes;
  }

  /** {@code pairctl --json new-key OPTIONS} on {@code device}; the key is remembered. */
  private static JsonNode newKey(Device device, String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("new-key"));
    args.addAll(List.of(options));
    JsonNode issued = device.ctl().json(args.toArray(String[]::new));
    keys.add(key(issued));
    return issued;
  }

  /** The key a {@code new-key --json --wait} printed before it started waiting; remembered. */
  private static JsonNode issued(Running waiting) throws Exception {
    JsonNode issued = waiting.readJson();
    keys.add(key(issued));
    return issued;
  }

  private static String key(JsonNode issued) {
    return issued.path("key").textValue();
  }

  /** {@code pairctl --json pair SERVER KEY OPTIONS} on {@code client}. */
  private static Result pair(Device client, Device server, String key, String... options)
      throws Exception {
    keys.add(key);
    List<String> args = new ArrayList<>(List.of("--json", "pair", server.address(), key));
    args.addAll(List.of(options));
    return client.ctl().run(args.toArray(String[]::new));
  }

  /**
   * A well-formed code for the same slot as {@code key}, every secret digit shifted by {@code
   * shift} (1 to 9), so that none matches: the daemon runs a real exchange with it and it fails.
   */
  private static String wrongCode(String key, int shift) {
    String digits = key.replace("-", "");
    byte[] secret = new byte[digits.length() - 3];
    for (int i = 0; i < secret.length; i++) {
      secret[i] = (byte) ('0' + (digits.charAt(2 + i) - '0' + shift) % 10);
    }
    return Spake2Code.create(Integer.parseInt(digits.substring(0, 2)), secret).format();
  }

  private static int attemptsLeft(Device device, JsonNode issued) throws Exception {
    for (JsonNode key : device.ctl().look(Command.LIST_KEYS).path("keys")) {
      if (key.path("id").equals(issued.path("id"))) {
        return key.path("attempts_left").intValue();
      }
    }
    throw new AssertionError("key " + issued.path("id") + " is not pending");
  }

  private static void assertRejected(Result pair) throws Exception {
    assertThat(pair.status()).as(pair.err()).isEqualTo(5);
    assertThat(pair.json().path("error").path("code").textValue()).isEqualTo("key_rejected");
    assertThat(pair.err()).startsWith("pairctl: the other device rejected the key");
    assertThat(Pattern.compile("pairctl new-key").matcher(pair.err()).results().count())
        .as("what to do, said once: %s", pair.err())
        .isEqualTo(1);
  }

  /** The fingerprints {@code device} trusts, oldest first. */
  private static List<String> trusted(Device device) throws Exception {
    List<String> fingerprints = new ArrayList<>();
    for (JsonNode peer : device.ctl().look(Command.LIST_TRUSTED).path("peers")) {
      fingerprints.add(peer.path("fingerprint").textValue());
    }
    return fingerprints;
  }

  private static JsonNode onlyPeer(Device device) throws Exception {
    JsonNode peers = device.ctl().look(Command.LIST_TRUSTED).path("peers");
    assertThat(peers).hasSize(1);
    return peers.get(0);
  }

  private static Instant instant(JsonNode node, String field) {
    return Instant.parse(node.path(field).textValue());
  }

  private static void assertTrustNobody(Device... devices) throws Exception {
    for (Device device : devices) {
      assertThat(trusted(device)).as("trusted by %s", device.identity().subject()).isEmpty();
    }
  }

  /**
   * Each of {@link #a} and {@link #b} trusts the other and nobody else, as paired with {@code
   * suite}, and ping succeeds from either side.
   */
  private static void assertTrustEachOther(String suite) throws Exception {
    assertTrustEachOther(a, b, suite);
  }

  /** As {@link #assertTrustEachOther(String)}, for {@code one} and {@code other}. */
  private static void assertTrustEachOther(Device one, Device other, String suite)
      throws Exception {
    for (Device[] pair : List.of(new Device[] {one, other}, new Device[] {other, one})) {
      JsonNode peer = onlyPeer(pair[0]);
      assertThat(peer.path("fingerprint").textValue()).isEqualTo(pair[1].fingerprint());
      assertThat(peer.path("subject").textValue()).isEqualTo(pair[1].identity().subject());
      assertThat(peer.path("suite").textValue()).isEqualTo(suite);
      // The devices' certificates are openssl req -x509's, CA:TRUE.
      assertThat(peer.path("may_sign").booleanValue()).as("may_sign in %s", peer).isTrue();

      Result ping = pair[0].ctl().run("--json", "ping", pair[1].address());
      assertThat(ping.status()).as(ping.err()).isZero();
      assertThat(ping.json().path("peer").path("fingerprint").textValue())
          .isEqualTo(pair[1].fingerprint());
    }
  }
}
