package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

final class FormatTest {
  private static final Instant NOW = Instant.parse("2026-11-25T18:00:00Z");
  private static final String FINGERPRINT =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  private static final String OTHER_FINGERPRINT =
      "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

  private static final Format UTC = format(ZoneId.of("UTC"));

  private static Format format(ZoneId zone) {
    return new Format(new Terminal(StandardCharsets.UTF_8), Clock.fixed(NOW, zone));
  }

  private static JsonNode json(String text) throws Exception {
    return Json.parse(text.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  /** {@code output} as pairctl prints it, its secrets included (which wipes them). */
  static String printed(Output output) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, false, StandardCharsets.UTF_8);
    assertThat(output.printTo(out, out)).isTrue();
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static JsonNode newKey(String host, int port) throws Exception {
    return json(
        "{'id':'42','key':'42-3141-5926-0','suite':'spake2',"
            + "'expires_at':'2026-11-25T18:05:00.123Z','host':'"
            + host
            + "','port':"
            + port
            + "}");
  }

  private static JsonNode peer(String subject, String label) throws Exception {
    return json(
        "{'fingerprint':'"
            + FINGERPRINT
            + "','subject':'"
            + subject
            + "',"
            + "'added_at':'2026-11-20T09:30:00Z','updated_at':'2026-11-20T09:30:00Z',"
            + "'host':'10.0.0.7','suite':'spake2','label':"
            + label
            + "}");
  }

  @Test
  void newKey_showsTheCommandToType_thenTheKeyOnce_andItsExpiry() throws Exception {
    assertThat(printed(UTC.newKey(newKey("kitchen-pi", 7247))))
        .isEqualTo(
            ""
                + "New spake2 key, id 42.\n"
                + "On the other device, type:\n"
                + "\n"
                + "    pairctl pair kitchen-pi\n"
                + "\n"
                + "and enter this key when asked:\n"
                + "\n"
                + "    42-3141-5926-0\n"
                + "\n"
                + "It expires at 18:05:00 UTC, in 5 minutes.\n"
                + "The key is shown only this once; 'pairctl cancel-key 42' withdraws it.\n");
  }

  @Test
  void newKey_otherPort_isPartOfTheCommand() throws Exception {
    assertThat(printed(UTC.newKey(newKey("kitchen-pi", 7000))))
        .contains("    pairctl pair kitchen-pi:7000\n");
  }

  @Test
  void newKey_ipv6Host_isBracketed() throws Exception {
    assertThat(printed(UTC.newKey(newKey("fd00::7", 7000))))
        .contains("    pairctl pair [fd00::7]:7000\n");
  }

  @Test
  void newKey_showsLocalTime() throws Exception {
    assertThat(printed(format(ZoneId.of("Europe/Berlin")).newKey(newKey("kitchen-pi", 7247))))
        .contains("It expires at 19:05:00 CET, in 5 minutes.\n");
  }

  @Test
  void newKey_expiryOnAnotherDay_showsTheDate() throws Exception {
    assertThat(
            printed(
                UTC.newKey(
                    json(
                        "{'id':'42','key':'k','suite':'hmac','host':'h','port':7247,"
                            + "'expires_at':'2026-11-26T00:30:00Z'}"))))
        .contains("It expires at 2026-11-26 00:30:00 UTC, in 6 hours 30 minutes.\n");
  }

  @Test
  void newKey_hostileHost_isEscaped_andNotOfferedAsTheHostToType() throws Exception {
    JsonNode result = newKey("pi\\u001b]0;owned\\u0007", 7000);

    assertThat(printed(UTC.newKey(result)))
        .contains(
            "    pairctl pair ADDRESS:7000\n\nwhere ADDRESS is this device's IP address: its host"
                + " name, pi\\x1b]0;owned\\x07, cannot be typed there as a host.\n\n")
        .doesNotContain("\u001b");
  }

  /** Host names the other device could not type, or that would name it itself. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "my host|cannot be typed there as a host",
        "a/b|cannot be typed there as a host",
        "user@pi|cannot be typed there as a host",
        "nbsp\\u00a0pi|cannot be typed there as a host",
        "-pi|cannot be typed there as a host",
        "[pi]|cannot be typed there as a host",
        "localhost|would name the other device itself",
        "LOCALHOST.localdomain|would name the other device itself",
        "pi.localhost.|would name the other device itself",
        "localhost6.localdomain6|would name the other device itself",
        "ip6-localhost|would name the other device itself",
        "127.0.1.1|would name the other device itself",
        "::1|would name the other device itself",
        "0:0:0:0:0:0:0:1|would name the other device itself"
      })
  void newKey_hostTheOtherDeviceCannotUse_asksForTheAddressInstead(String host, String why)
      throws Exception {
    String shown = printed(UTC.newKey(newKey(host, 7247)));

    assertThat(shown)
        .contains("    pairctl pair ADDRESS\n\nwhere ADDRESS is this device's IP address")
        .contains(why);
  }

  @Test
  void newKey_noHostInTheAnswer_asksForTheAddress() throws Exception {
    String shown =
        printed(
            UTC.newKey(
                json(
                    "{'id':'42','key':'42-3141-5926-0','suite':'spake2',"
                        + "'expires_at':'2026-11-25T18:05:00.123Z','port':7000}")));

    assertThat(shown)
        .contains(
            "    pairctl pair ADDRESS:7000\n\nwhere ADDRESS is this device's IP address.\n\n");
  }

  @ParameterizedTest
  @CsvSource({
    "kitchen-pi",
    "pi.example.org",
    "my_host.local",
    "caf\u00e9",
    "192.0.2.7",
    "pi-1",
    "localhost-pi",
    "1::1"
  })
  void newKey_hostItCanUse_isTheOneToType(String host) {
    assertThat(Format.isTypable(host)).isTrue();
    assertThat(Format.isLoopbackName(host)).isFalse();
  }

  @ParameterizedTest
  @CsvSource({
    "PT0S, now",
    "PT0.4S, now",
    "PT0.6S, in 1 second",
    "PT29.6S, in 30 seconds",
    "PT89S, in 89 seconds",
    "PT90S, in 2 minutes",
    "PT4M59.9S, in 5 minutes",
    "PT59M, in 59 minutes",
    "PT59M40S, in 1 hour",
    "PT1H, in 1 hour",
    "PT1H30M, in 1 hour 30 minutes",
    "PT2H1M, in 2 hours 1 minute",
    "-PT5S, now",
  })
  void relative_roundsToTheNearestUnit(Duration until, String expected) {
    assertThat(Format.relative(until)).isEqualTo(expected);
  }

  @Test
  void waiting_saysHowToStop() {
    assertThat(UTC.waiting())
        .isEqualTo(
            "Waiting for the other device (Ctrl-C stops waiting; the"
                + " key stays valid until it expires)\u2026\n");
  }

  @Test
  void paired_showsFingerprintPlainAndGrouped() throws Exception {
    JsonNode result = Json.object().set("peer", peer("CN=laptop", "'laptop'"));

    assertThat(UTC.paired(result))
        .isEqualTo(
            ""
                + "Paired with laptop (CN=laptop). Each device now trusts the other.\n"
                + "  fingerprint  "
                + FINGERPRINT
                + "\n"
                + "               9f86 d081 884c 7d65  9a2f eaa0 c55a d015  a3bf 4f1b 2b0b 822c"
                + "  d15d 6c15 b0f0 0a08\n"
                + "  subject      CN=laptop\n"
                + "  label        laptop\n"
                + "  host         10.0.0.7\n"
                + "  suite        spake2\n");
  }

  @Test
  void pairedByKey_namesThePeerAndTheKey() throws Exception {
    JsonNode result =
        json(
            "{'id':'42','outcome':'paired','peer':{'fingerprint':'"
                + FINGERPRINT
                + "','subject':'CN=laptop'}}");

    assertThat(UTC.pairedByKey(result))
        .startsWith(
            "Paired with CN=laptop using key 42.\n" + "  fingerprint  " + FINGERPRINT + "\n");
  }

  @ParameterizedTest
  @CsvSource({
    "expired, key 42 expired before a device used it",
    "burned, key 42 was burned: there were too many wrong attempts with it",
    "cancelled, key 42 was cancelled",
    "failed, 'a device proved it knew key 42, but paird could not save'",
  })
  void unpairedOutcome_saysWhatHappened(String outcome, String expected) throws Exception {
    assertThat(UTC.unpairedOutcome(json("{'id':'42','outcome':'" + outcome + "'}")))
        .hasValueSatisfying(text -> assertThat(text).startsWith(expected));
  }

  @Test
  void unpairedOutcome_pairedOrUnknown_isEmpty() throws Exception {
    assertThat(UTC.unpairedOutcome(json("{'id':'42','outcome':'paired'}"))).isEmpty();
    assertThat(UTC.unpairedOutcome(json("{'id':'42','outcome':'teleported'}"))).isEmpty();
  }

  @Test
  void listTrusted_isATableWithShortFingerprints() throws Exception {
    JsonNode result =
        Json.object()
            .set(
                "peers",
                Json.object()
                    .arrayNode()
                    .add(peer("CN=laptop", "'laptop'"))
                    .add(
                        json(
                            "{'fingerprint':'"
                                + OTHER_FINGERPRINT
                                + "','subject':'CN=kitchen-pi',"
                                + "'added_at':'2026-11-25T17:59:00Z','host':'kitchen-pi.local','suite':'hmac',"
                                + "'label':null}")));

    assertThat(UTC.listTrusted(result, false))
        .isEqualTo(
            ""
                + "FINGERPRINT        LABEL   SUBJECT        HOST              SUITE   ADDED\n"
                + "9f86d081884c7d65\u2026  laptop  CN=laptop      10.0.0.7          spake2  2026-11-20 09:30\n"
                + "60303ae22b998861\u2026  -       CN=kitchen-pi  kitchen-pi.local  hmac    2026-11-25 17:59\n");
  }

  @Test
  void listTrusted_full_showsWholeFingerprints() throws Exception {
    JsonNode result =
        Json.object().set("peers", Json.object().arrayNode().add(peer("CN=laptop", "null")));

    assertThat(UTC.listTrusted(result, true).lines().skip(1).findFirst().orElseThrow())
        .startsWith(FINGERPRINT + "  -      CN=laptop");
  }

  @Test
  void listTrusted_hostileSubjectAndLabel_areEscapedAndKeepTheTableIntact() throws Exception {
    JsonNode result =
        Json.object()
            .set(
                "peers",
                Json.object()
                    .arrayNode()
                    .add(peer("CN=\\u001b[2J\\u001b[1;1Hpwned\\nEVIL", "'\u202etop\\\\'")));

    String table = UTC.listTrusted(result, false);

    assertThat(table).doesNotContain("\u001b").doesNotContain("\u202e");
    assertThat(table.lines()).hasSize(2);
    assertThat(table).contains("\\u202etop\\\\  CN=\\x1b[2J\\x1b[1;1Hpwned\\x0aEVIL  10.0.0.7");
  }

  @Test
  void shown_listsTheEntryWithItsPublicKeyPin() throws Exception {
    ObjectNode peer = (ObjectNode) peer("CN=laptop", "'laptop'");
    peer.put("updated_at", "2026-11-21T10:00:00Z");
    peer.put("spki_pin", "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    peer.put("may_sign", false);

    assertThat(UTC.shown(Json.object().set("peer", peer)))
        .isEqualTo(
            ""
                + "laptop (CN=laptop)\n"
                + "  fingerprint     "
                + FINGERPRINT
                + "\n"
                + "                  9f86 d081 884c 7d65  9a2f eaa0 c55a d015  a3bf 4f1b 2b0b 822c"
                + "  d15d 6c15 b0f0 0a08\n"
                + "  subject         CN=laptop\n"
                + "  label           laptop\n"
                + "  host            10.0.0.7\n"
                + "  suite           spake2\n"
                + "  added           2026-11-20 09:30:00\n"
                + "  updated         2026-11-21 10:00:00\n"
                + "  public key pin  sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
                + "  may sign        no\n");
  }

  /** A peer whose certificate may sign is named so when paired, with what it means. */
  @Test
  void paired_aPeerThatMaySign_saysWhatItMeansForTheOutputs() throws Exception {
    ObjectNode peer = (ObjectNode) peer("CN=laptop", "'laptop'");

    assertThat(UTC.paired(Json.object().set("peer", peer.put("may_sign", false))))
        .doesNotContain("may sign");
    assertThat(UTC.paired(Json.object().set("peer", peer.put("may_sign", true))))
        .endsWith(
            "Its certificate may sign other certificates: software that reads this device's"
                + " trusted.pem, trusted-certs/ or trusted.p12 as a list of CAs (PostgreSQL,"
                + " mosquitto, Java, curl --cacert) also accepts what that device signs."
                + " See docs/INTEGRATION.md, \"Certificates that may sign\".\n");
  }

  @Test
  void certificate_printsOnlyAPemCertificate() throws Exception {
    String pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    assertThat(UTC.certificate(Json.object().put("certificate", pem))).contains(pem);
    assertThat(UTC.certificate(Json.object().put("certificate", pem + "\u001b[2J"))).isEmpty();
    assertThat(UTC.certificate(Json.object())).isEmpty();
  }

  @Test
  void listTrusted_empty_saysHowToPair() throws Exception {
    assertThat(UTC.listTrusted(json("{'peers':[]}"), false))
        .startsWith("No trusted peers yet. To pair with another device, run 'pairctl new-key'");
  }

  @Test
  void listKeys_isATableWithoutKeyValues() throws Exception {
    JsonNode result =
        json(
            "{'keys':["
                + "{'id':'07','suite':'spake2','created_at':'2026-11-25T17:59:00Z',"
                + "'expires_at':'2026-11-25T18:00:45Z','attempts_left':3},"
                + "{'id':'42','suite':'hmac','created_at':'2026-11-25T17:59:30Z',"
                + "'expires_at':'2026-11-25T18:58:00Z','attempts_left':1}]}");

    assertThat(UTC.listKeys(result))
        .isEqualTo(
            ""
                + "ID  SUITE   EXPIRES                   ATTEMPTS LEFT\n"
                + "07  spake2  18:00:45 (in 45 seconds)  3\n"
                + "42  hmac    18:58:00 (in 58 minutes)  1\n");
  }

  @Test
  void listKeys_empty_saysHowToMakeOne() throws Exception {
    assertThat(UTC.listKeys(json("{'keys':[]}")))
        .isEqualTo("No pending keys; 'pairctl new-key' makes one.\n");
  }

  @Test
  void status_listsIdentityAndCounts() throws Exception {
    JsonNode result =
        json(
            "{'version':'0.1.0','fingerprint':'"
                + FINGERPRINT
                + "',"
                + "'subject':'CN=kitchen-pi','key_type':'EC P-256','host':'kitchen-pi',"
                + "'listen':'*:7247','pending_keys':1,'trusted_peers':2,'default_suite':'spake2',"
                + "'state_dir':'/var/lib/paird','started_at':'2026-11-25T08:00:00.5Z'}");

    assertThat(UTC.status(result))
        .isEqualTo(
            ""
                + "paird 0.1.0 on kitchen-pi, running since 2026-11-25 08:00:00\n"
                + "  fingerprint    "
                + FINGERPRINT
                + "\n"
                + "  subject        CN=kitchen-pi\n"
                + "  key type       EC P-256\n"
                + "  listening on   *:7247\n"
                + "  pending keys   1\n"
                + "  trusted peers  2\n"
                + "  default suite  spake2\n"
                + "  state dir      /var/lib/paird\n");
  }

  @Test
  void status_missingFields_showAsDashes() throws Exception {
    assertThat(UTC.status(json("{'fingerprint':'" + FINGERPRINT + "'}")))
        .contains("  subject        -\n", "running since -\n");
  }

  @Test
  void removed_namesThePeerAndTheOtherHalf() throws Exception {
    JsonNode result = Json.object().set("removed", peer("CN=laptop", "'laptop'"));

    assertThat(UTC.removed(result))
        .isEqualTo(
            ""
                + "Removed laptop (CN=laptop); this device no longer trusts it.\n"
                + "  fingerprint  "
                + FINGERPRINT
                + "\n"
                + "  subject      CN=laptop\n"
                + "Run 'pairctl remove' on that device too, or it still trusts this one.\n");
  }

  @Test
  void cancelled_namesTheKey() throws Exception {
    assertThat(UTC.cancelled(json("{'id':'42','cancelled':true}")))
        .isEqualTo("Cancelled key 42; no device can use it now.\n");
  }

  @Test
  void ping_saysBothDirectionsAndTheRoundTrip() throws Exception {
    JsonNode result =
        json(
            "{'host':'kitchen-pi','peer':{'fingerprint':'"
                + FINGERPRINT
                + "',"
                + "'subject':'CN=kitchen-pi'},'rtt_ms':12}");

    assertThat(UTC.ping(result))
        .isEqualTo(
            "kitchen-pi (CN=kitchen-pi, 9f86d081884c7d65\u2026)"
                + " trusts this device and is trusted by it; answered in 12 ms\n");
  }

  @Test
  void asciiTerminal_getsDotsAndEscapes() throws Exception {
    Format ascii =
        new Format(new Terminal(StandardCharsets.US_ASCII), Clock.fixed(NOW, ZoneId.of("UTC")));
    JsonNode result =
        Json.object().set("peers", Json.object().arrayNode().add(peer("CN=K\u00fcche", "null")));

    assertThat(ascii.listTrusted(result, false))
        .contains("9f86d081884c7d65...  -      CN=K\\xfcche");
  }
}
