package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.ctl.PairctlCalls;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import dev.paird.trust.HubFill;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates as large as a peer may choose them, against real pairds: SECURITY.md, §6, the bounds
 * of the state files ("a {@code trusted.json} over 16 MiB ...; a {@code trusted.journal} over 16
 * MiB or with a line over 256 KiB"), TrustStore.MAX_FILE_BYTES ("a few huge ones must not make the
 * list unreadable"), PERFORMANCE.md, "How far beyond 10,000", and PROTOCOL.md, §1 (only the
 * end-entity certificate counts) and §7 (one-sided outcomes).
 *
 * <p>What bounds a certificate is TLS: BoringSSL, on both ends of a paird connection, refuses a
 * Certificate message over its default {@code max_cert_list} of 100 KiB, and paird does not change
 * it. The message holds, besides the certificate, its 3-byte length, 2 bytes for its (no)
 * extensions, the 3-byte length of the list and the 1-byte length of the empty request context: the
 * largest certificate a peer can present alone is 102,391 bytes.
 *
 * <p>Daemons, started once: {@code a}, a device with an ordinary certificate; {@code largest}, one
 * whose certificate is that large (3,000 subjectAltNames and a padding extension); {@code over},
 * one byte larger; {@code line}, a 45 KB certificate whose subject is 45,000 U+0001 characters,
 * which JSON writes as six bytes each, so that its record is a journal line of some 330 KB; and
 * {@code hub}, whose list of generated peers with 16 KiB certificates leaves less than a 100 KiB
 * certificate's record below 16 MiB ({@link HubFill#fillLeaving}). Before each test, all but the
 * hub trust nobody and have no keys.
 */
final class HugeCertificateIT {
  /**
   * BoringSSL's default max_cert_list, less what the Certificate message adds to one certificate.
   */
  private static final int LARGEST = 100 * 1024 - 9;

  /** TrustStore.MAX_FILE_BYTES. */
  private static final int MAX_FILE_BYTES = 16 * 1024 * 1024;

  /** TrustJournal.MAX_LINE_BYTES. */
  private static final int MAX_LINE_BYTES = 256 * 1024;

  /** Every pairing here comes from 127.0.0.1, some tests more than 30 a minute. */
  private static final String RATE = "rate_limit_per_minute = 6000";

  private static final Path PYTHON = Path.of("/usr/bin/python3");

  @TempDir static Path dir;
  private static LiveDaemon a;
  private static LiveDaemon largest;
  private static LiveDaemon over;
  private static LiveDaemon line;
  private static LiveDaemon hub;

  /** Bytes the hub's list leaves below 16 MiB. */
  private static int hubRoom;

  @BeforeAll
  static void start() throws Exception {
    List<String> names =
        IntStream.range(0, 3_000).mapToObj(i -> "device-" + i + ".fleet.example").toList();
    a = LiveDaemon.start(dir, "a", RATE);
    largest = start("largest", home -> sized(home, "largest", names, LARGEST));
    over = start("over", home -> sized(home, "over", names, LARGEST + 1));
    line =
        start(
            "line",
            home ->
                HostileCertificates.create(
                    home,
                    "line",
                    new X500Name(
                        new RDN[] {
                          new RDN(
                              BCStyle.CN, new DERUTF8String(Character.toString(1).repeat(45_000)))
                        })));
    hubRoom = HubFill.fillLeaving(dir.resolve("hub/state"), 64 * 1024, 16 * 1024);
    hub = LiveDaemon.start(dir, "hub", RATE);
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(a, largest, over, line, hub);
  }

  @BeforeEach
  void forget() throws Exception {
    for (LiveDaemon daemon : List.of(a, largest, over, line)) {
      daemon.ctl.forgetAll();
    }
  }

  /**
   * The largest certificate TLS carries pairs, as the client and as the server: both devices trust
   * each other, and the device that keeps it has it, byte for byte, in list-trusted, show --pem,
   * trusted.pem, trusted-certs/ (under OpenSSL's hash of its subject) and trusted.p12; ping works;
   * paird stops, starts again on that list and has all of it as before.
   */
  @Test
  void largestCertificateTlsCarries_pairsEitherWay_isInEveryOutput_andIsReadBackAfterRestart()
      throws Exception {
    assertThat(der(largest)).hasSize(LARGEST);

    assertPaired(largest.pair(a.address, key(a)), a);
    assertThat(a.trusted()).containsExactly(fingerprint(largest));
    a.ctl.forgetAll();
    largest.ctl.forgetAll();
    assertPaired(a.pair(largest.address, key(largest)), largest);

    assertThat(a.trusted()).containsExactly(fingerprint(largest));
    assertThat(largest.trusted()).containsExactly(fingerprint(a));
    Result shown = a.ctl.run("show", "--pem", fingerprint(largest));
    assertThat(shown.status()).as(shown.err()).isZero();
    assertThat(certificates(shown.out().getBytes(StandardCharsets.US_ASCII)))
        .containsExactly(fingerprint(largest));
    assertOutputsHoldExactly(a, fingerprint(largest));
    assertThat(a.ctl.run("ping", largest.address).status()).isZero();

    a = restart(a);

    assertThat(a.trusted()).containsExactly(fingerprint(largest));
    assertOutputsHoldExactly(a, fingerprint(largest));
    assertThat(largest.ctl.run("ping", a.address).status()).isZero();
  }

  /**
   * One byte more than TLS carries: the handshake fails whichever device presents it; nobody trusts
   * anybody and the key that was typed keeps every attempt (no exchange began). Presented by the
   * server, it is refused by the client during the handshake: {@code tls_failed} (exit 6).
   * Presented by the client, in TLS 1.3, the refusal arrives only after the client's own handshake,
   * as the server's alert or a reset (see the next test): {@code tls_failed} as well.
   */
  @Test
  void certificateOneByteOverWhatTlsCarries_failsEitherWay_andNobodyTrustsAnybody()
      throws Exception {
    assertThat(der(over)).hasSize(LARGEST + 1);
    JsonNode aKey = a.newKey();

    Result asClient = over.pair(a.address, aKey.path("key").textValue());

    assertThat(asClient.status()).as(asClient.err()).isEqualTo(6);
    assertThat(asClient.json().path("error").path("code").textValue())
        .as(asClient.err())
        .isEqualTo("tls_failed");
    assertThat(a.attemptsLeft(aKey.path("id").textValue())).isEqualTo(3);

    JsonNode overKey = over.newKey();
    Result asServer = a.pair(over.address, overKey.path("key").textValue());

    assertThat(asServer.status()).as(asServer.err()).isEqualTo(6);
    assertThat(asServer.json().path("error").path("code").textValue()).isEqualTo("tls_failed");
    assertThat(over.attemptsLeft(overKey.path("id").textValue())).isEqualTo(3);
    assertThat(a.trusted()).isEmpty();
    assertThat(over.trusted()).isEmpty();
  }

  /**
   * How the client side of the refusal above can end when the server's reset outruns its alert: the
   * client, its handshake done, is still writing its 100 KiB flight when the reset arrives, and the
   * write fails before anything is read. A relay makes that happen every time (it resets the client
   * at its first encrypted record, with its receive buffer at the kernel's least). It is the
   * handshake that failed: {@code tls_failed} (exit 6), nobody trusts anybody, the key keeps every
   * attempt. (It was {@code protocol_error}, which the test above met in two of some twenty
   * fresh-clone CI runs on a loaded machine.)
   */
  @Test
  void resetWhileTheClientStillWritesItsFlight_isTlsFailed_andNobodyTrustsAnybody()
      throws Exception {
    JsonNode aKey = a.newKey();
    Result pair;
    try (ResettingRelay relay = ResettingRelay.start(a.pairingPort)) {
      pair = largest.pair(relay.address(), aKey.path("key").textValue());
      relay.reset.get(20, TimeUnit.SECONDS);
    }

    assertThat(pair.status()).as(pair.err()).isEqualTo(6);
    assertThat(pair.json().path("error").path("code").textValue())
        .as(pair.err())
        .isEqualTo("tls_failed");
    assertThat(pair.err()).contains("right after the TLS handshake");
    assertThat(a.attemptsLeft(aKey.path("id").textValue())).isEqualTo(3);
    assertThat(a.trusted()).isEmpty();
    assertThat(largest.trusted()).isEmpty();
  }

  /**
   * A certificate TLS carries but whose record exceeds a journal line (256 KiB) is refused before
   * anybody trusts anybody. As the other device's certificate, the device that typed the key
   * refuses it right after the handshake: limit_reached (exit 5), saying why; its files are as they
   * were, the other device trusts nobody and its key keeps every attempt. As the certificate of the
   * device that typed the key, the device that issued it refuses to save it and answers
   * ERROR(INTERNAL): peer_failed (exit 6), nobody trusts anybody, and its files are as they were.
   * Either device then starts again on what it has.
   */
  @Test
  void certificateWhoseRecordExceedsAJournalLine_isRefusedBeforeAnybodyTrustsAnybody()
      throws Exception {
    Map<String, String> files = a.ctl.trustFiles();
    JsonNode lineKey = line.newKey();

    Result typed = a.pair(line.address, lineKey.path("key").textValue());

    assertThat(typed.status()).as(typed.err()).isEqualTo(5);
    assertThat(typed.json().path("error").path("code").textValue()).isEqualTo("limit_reached");
    assertThat(typed.err()).contains("too large to keep").contains(MAX_LINE_BYTES + "");
    assertThat(line.attemptsLeft(lineKey.path("id").textValue())).isEqualTo(3);
    assertThat(line.trusted()).isEmpty();
    assertThat(a.ctl.trustFiles()).isEqualTo(files);

    Result issued = line.pair(a.address, key(a));

    assertThat(issued.status()).as(issued.err()).isEqualTo(6);
    assertThat(issued.json().path("error").path("code").textValue()).isEqualTo("peer_failed");
    a.process.awaitLogLine(
        logged -> logged.contains("too large to keep"),
        "saying why the pairing failed",
        Duration.ofSeconds(10));
    assertThat(a.trusted()).isEmpty();
    assertThat(line.trusted()).isEmpty();
    assertThat(a.ctl.trustFiles()).isEqualTo(files);

    a = restart(a);
    line = restart(line);

    assertThat(a.trusted()).isEmpty();
    assertThat(line.trusted()).isEmpty();
  }

  /**
   * A list near 16 MiB: a pairing whose peer would take {@code trusted.json} past it is refused
   * either way, the hub's files stay as they were and the other device trusts nobody (typed on the
   * hub: limit_reached, exit 5, naming the bound and pairctl remove, before the exchange, so the
   * other device's key keeps every attempt; issued by the hub: peer_failed). A small peer still
   * fits, and the hub starts again on the list and has every peer.
   */
  @Test
  void listNear16MiB_refusesAPeerThatWouldTakeItPast_eitherWay_andStillStarts() throws Exception {
    assertThat(hubRoom).isBetween(64 * 1024, 64 * 1024 + 32 * 1024);
    List<String> before = hub.trusted();
    Map<String, String> files = hub.ctl.trustFiles();
    JsonNode largestKey = largest.newKey();

    Result typed = hub.pair(largest.address, largestKey.path("key").textValue());

    assertThat(typed.status()).as(typed.err()).isEqualTo(5);
    assertThat(typed.json().path("error").path("code").textValue()).isEqualTo("limit_reached");
    assertThat(typed.err()).contains("16 MiB").contains("pairctl remove");
    assertThat(largest.attemptsLeft(largestKey.path("id").textValue())).isEqualTo(3);
    assertThat(hub.ctl.trustFiles()).isEqualTo(files);

    Result issued = largest.pair(hub.address, key(hub));

    assertThat(issued.status()).as(issued.err()).isEqualTo(6);
    assertThat(issued.json().path("error").path("code").textValue()).isEqualTo("peer_failed");
    assertThat(hub.ctl.trustFiles()).isEqualTo(files);
    assertThat(largest.trusted()).isEmpty();

    assertPaired(a.pair(hub.address, key(hub)), hub);
    hub = restart(hub);

    assertThat(hub.trusted()).hasSize(before.size() + 1).endsWith(fingerprint(a));
    assertThat(Files.size(state(hub).resolve("trusted.json"))).isLessThanOrEqualTo(MAX_FILE_BYTES);
    assertThat(certificates(Files.readAllBytes(state(hub).resolve("trusted.pem"))))
        .hasSize(before.size() + 1)
        .contains(fingerprint(a));
  }

  /**
   * Re-pairing the largest certificate again and again appends its whole record each time; paird
   * compacts the journal before it would pass 8 MiB, so a journal that SIGKILL leaves at its
   * largest is one the next start reads: the peer is listed once, in every output.
   */
  @Test
  void manyPairingsOfTheLargestCertificate_thenSigkill_leaveAJournalTheNextStartReads()
      throws Exception {
    Path journal = state(a).resolve("trusted.journal");
    long size = 0;
    long most = 0;
    boolean compacted = false;
    for (int pairing = 0; pairing < 200 && !(compacted && size > 4 << 20); pairing++) {
      String key = PairctlCalls.call(a.socket, Command.NEW_KEY, Map.of()).path("key").textValue();
      a.keys.add(key);
      PairctlCalls.call(largest.socket, Command.PAIR, Map.of("host", a.address, "key", key));
      long now = Files.size(journal);
      compacted |= now < size;
      size = now;
      most = Math.max(most, now);
    }
    assertThat(compacted).as("the journal was compacted").isTrue();
    assertThat(size).isGreaterThan(4 << 20);
    assertThat(most).as("the largest journal").isLessThanOrEqualTo(MAX_FILE_BYTES / 2);

    a.process.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    a = restart(a);

    assertThat(a.trusted()).containsExactly(fingerprint(largest));
    assertOutputsHoldExactly(a, fingerprint(largest));
  }

  /**
   * PROTOCOL.md, §1: a device that presents a chain (its certificate, then two more) is trusted by
   * its end-entity certificate alone, as the client and as the server: the other certificates are
   * in no output. The chain is presented by the independent implementation, whose TLS (Python's
   * OpenSSL) sends what its certificate file holds.
   */
  @Test
  void deviceWithAChain_isTrustedByItsEndEntityCertificateAlone() throws Exception {
    assumeTrue(Files.isExecutable(PYTHON), "needs " + PYTHON);
    Path home = Files.createDirectories(dir.resolve("chain"));
    SelfSigned leaf = OpenSslCli.newSelfSigned(home, "leaf", KeyType.EC_P256);
    SelfSigned first = OpenSslCli.newSelfSigned(home, "first", KeyType.EC_P256);
    SelfSigned second = OpenSslCli.newSelfSigned(home, "second", KeyType.EC_P256);
    Path chain = home.resolve("chain.pem");
    Files.writeString(
        chain,
        Files.readString(leaf.cert())
            + Files.readString(first.cert())
            + Files.readString(second.cert()));
    String[] tls = {"--cert", chain.toString(), "--key", leaf.key().toString()};

    try (Python client = Python.start(tls, "client", "--connect", a.address, "--code", key(a))) {
      assertThat(client.outcome()).as(client.toString()).isEqualTo("paired");
    }
    assertThat(a.trusted()).containsExactly(OpenSslCli.fingerprint(leaf.cert()));
    assertOutputsHoldExactly(a, OpenSslCli.fingerprint(leaf.cert()));
    a.ctl.forgetAll();
    try (Python server = Python.start(tls, "server", "--suite", "spake2")) {
      JsonNode listening = server.next();
      assertPaired(
          a.pair("127.0.0.1:" + listening.path("port").intValue(), listening.path("key").asText()),
          OpenSslCli.fingerprint(leaf.cert()));
      assertThat(server.outcome()).as(server.toString()).isEqualTo("paired");
    }

    assertThat(a.trusted()).containsExactly(OpenSslCli.fingerprint(leaf.cert()));
    assertOutputsHoldExactly(a, OpenSslCli.fingerprint(leaf.cert()));
  }

  // -------------------------------------------------------------------------------------------

  /** Starts paird {@code name} presenting the identity {@code make} writes in its home. */
  private static LiveDaemon start(String name, Function<Path, SelfSigned> make) throws Exception {
    Path home = Files.createDirectories(dir.resolve(name));
    return LiveDaemon.start(home, name, make.apply(home), UnaryOperator.identity(), RATE);
  }

  private static SelfSigned sized(Path home, String name, List<String> names, int size) {
    return HostileCertificates.ofSize(home, name, new X500Name("CN=" + name), names, size);
  }

  /** Stops {@code daemon} (or finds it killed), then starts it again on the same files. */
  private static LiveDaemon restart(LiveDaemon daemon) throws Exception {
    daemon.close();
    Path home = dir.resolve(daemon.name);
    LiveDaemon again =
        LiveDaemon.start(home, daemon.name, daemon.identity, UnaryOperator.identity(), RATE);
    again.keys.addAll(daemon.keys);
    return again;
  }

  /** A key {@code issuer} issues now. */
  private static String key(LiveDaemon issuer) throws Exception {
    return issuer.newKey().path("key").textValue();
  }

  /** pairctl pair succeeded, with {@code server} as the peer. */
  private static void assertPaired(Result paired, LiveDaemon server) throws Exception {
    assertPaired(paired, fingerprint(server));
  }

  /** pairctl pair succeeded, with the certificate of {@code fingerprint} as the peer's. */
  private static void assertPaired(Result paired, String fingerprint) throws Exception {
    assertThat(paired.status()).as(paired.err()).isZero();
    assertThat(paired.json().path("peer").path("fingerprint").textValue()).isEqualTo(fingerprint);
  }

  /**
   * trusted.pem and trusted.p12, read by the JDK, and trusted-certs/, each file under the name
   * openssl gives its subject, hold exactly the one certificate with {@code fingerprint}.
   */
  private static void assertOutputsHoldExactly(LiveDaemon daemon, String fingerprint)
      throws Exception {
    Path state = state(daemon);
    assertThat(certificates(Files.readAllBytes(state.resolve("trusted.pem"))))
        .as("trusted.pem")
        .containsExactly(fingerprint);
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(state.resolve("trusted.p12"))) {
      store.load(in, null);
    }
    List<String> held = new ArrayList<>();
    for (String alias : Collections.list(store.aliases())) {
      held.add(HostileCertificates.fingerprint(store.getCertificate(alias).getEncoded()));
    }
    assertThat(held).as("trusted.p12").containsExactly(fingerprint);
    List<Path> files;
    try (Stream<Path> list = Files.list(state.resolve("trusted-certs"))) {
      files = list.toList();
    }
    assertThat(files).as("trusted-certs/").hasSize(1);
    String hash = OpenSslCli.run("x509", "-in", files.get(0).toString(), "-noout", "-hash");
    assertThat(files.get(0).getFileName().toString()).isEqualTo(hash.strip() + ".0");
    assertThat(certificates(Files.readAllBytes(files.get(0)))).containsExactly(fingerprint);
  }

  /** The fingerprints of the certificates the JDK reads from PEM text. */
  private static Set<String> certificates(byte[] pem) throws Exception {
    Set<String> out = new TreeSet<>();
    for (Certificate certificate :
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(pem))) {
      out.add(HostileCertificates.fingerprint(certificate.getEncoded()));
    }
    return out;
  }

  private static byte[] der(LiveDaemon daemon) throws Exception {
    return HostileCertificates.certificate(daemon.identity).getEncoded();
  }

  private static String fingerprint(LiveDaemon daemon) {
    return OpenSslCli.fingerprint(daemon.identity.cert());
  }

  private static Path state(LiveDaemon daemon) throws Exception {
    return Path.of(daemon.ctl.look(Command.STATUS).path("state_dir").textValue());
  }

  /** One run of independent/pairing.py, its JSON lines read as they come. */
  private record Python(Process process, BufferedReader out, List<JsonNode> read)
      implements AutoCloseable {
    static Python start(String[] tls, String... args) throws Exception {
      List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script()));
      command.addAll(List.of(args));
      command.addAll(List.of(tls));
      Process process =
          new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      process.getOutputStream().close();
      return new Python(
          process,
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)),
          new ArrayList<>());
    }

    private static String script() throws Exception {
      return Path.of(HugeCertificateIT.class.getResource("/independent/pairing.py").toURI())
          .toString();
    }

    /** The next line; pairing.py gives up after its own timeout, so this ends. */
    JsonNode next() throws Exception {
      String text = out.readLine();
      assertThat(text).as("pairing.py printed, after %s", read).isNotNull();
      JsonNode line = Pairctl.JSON.readTree(text);
      read.add(line);
      return line;
    }

    /** The outcome it reports. */
    String outcome() throws Exception {
      JsonNode line = next();
      while (!line.has("outcome")) {
        line = next();
      }
      return line.path("outcome").textValue();
    }

    @Override
    public void close() throws Exception {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }
}
