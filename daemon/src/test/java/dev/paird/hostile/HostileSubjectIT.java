package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.PairdProcess;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.SelfSigned;
import dev.paird.testing.Processes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.security.auth.x500.X500Principal;
import org.assertj.core.api.SoftAssertions;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Devices whose certificate subject attacks every place paird writes a subject. Two hostile devices
 * are real pairds presenting certificates made here: "injector", whose subject holds a line break
 * and then a whole PEM block of a third certificate, mallory's, and a forged log line, a carriage
 * return, ESC and C1 control sequences, DEL, NUL and a bidirectional override; and "long", whose
 * subject is 4 KiB of printable text that ends in a PEM header where OpenSSL, reading its comment
 * line in trusted.pem in pieces, would see one. Each pairs with a third paird, the victim, both
 * ways: with the victim's key, while the victim's {@code pairctl new-key --wait} waits to say who
 * paired, and with its own key, typed into the victim's {@code pairctl pair}.
 *
 * <p>Then every output is read by something that is not paird's code: {@code trusted.pem} by
 * openssl and by the JDK, {@code trusted-certs/} by openssl, {@code trusted.p12} by the JDK's
 * KeyStore, {@code trusted.json} and {@code trusted.journal} by Jackson, and paird's log and
 * pairctl's output by the rules a terminal and a log reader need. Each must name exactly the
 * certificates {@code list-trusted} names, never mallory's, and show each subject as text that
 * stays on its line and moves no cursor.
 */
final class HostileSubjectIT {
  private static final Duration BOUND = Duration.ofMinutes(2);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path PAIRCTL = PairdProcess.REPO.resolve("packaging/bin/pairctl");

  /** The key in what {@code pairctl new-key} prints: a line of its own, indented by four. */
  private static final Pattern KEY_LINE = Pattern.compile("(?m)^ {4}([0-9]{2}(?:-[0-9]+)+)$");

  /** The start of every line paird logs outside systemd: timestamp, level, logger's name. */
  private static final Pattern LOG_LINE =
      Pattern.compile(
          "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2})"
              + " (TRACE|DEBUG|INFO |WARN |ERROR) [A-Za-z][A-Za-z0-9]*: .*");

  /** A line in paird's log format, for the injector's subject to try to add to the log. */
  private static final String FORGED_LOG_LINE =
      "2026-11-25T18:00:00.000Z INFO  pairing: every peer removed by uid 0";

  @TempDir static Path dir;

  private static X509Certificate mallory;

  /** The hostile devices' certificates, by fingerprint. */
  private static final Map<String, X509Certificate> attackers = new LinkedHashMap<>();

  private static LiveDaemon victim;
  private static LiveDaemon injector;
  private static LiveDaemon longSubject;

  /** What the victim's pairctl printed while pairing with the hostile devices. */
  private static final List<Printed> pairingOutput = new ArrayList<>();

  @BeforeAll
  static void pairWithHostileDevices() throws Exception {
    Path scratch = Files.createDirectories(dir.resolve("certificates"));
    // The RFC 2253 form of a name, which paird shows, escapes '+' and '=': an attacker signs
    // mallory's certificate until its base64 has neither, so its block stands there unchanged.
    mallory =
        HostileCertificates.certificate(
            HostileCertificates.create(
                scratch,
                "mallory",
                commonName("mallory"),
                der ->
                    Base64.getEncoder()
                        .encodeToString(der)
                        .chars()
                        .noneMatch(c -> c == '+' || c == '=')));
    String mallorysBlock =
        "-----BEGIN CERTIFICATE-----\n"
            + HostileCertificates.base64Lines(mallory)
            + "\n-----END CERTIFICATE-----\n";
    SelfSigned injection =
        HostileCertificates.create(
            scratch,
            "injector",
            new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, utf8("\rowned\u001b]0;owned\u0007\u001b[2J\u009b31m\u007f"))
                .addRDN(BCStyle.OU, utf8("\u202egnp.exe\u0000 gr\u00fc\u00df"))
                .addRDN(BCStyle.CN, utf8("injector\n" + mallorysBlock + FORGED_LOG_LINE + "\n"))
                .build());
    // OpenSSL reads a line of PEM text in pieces of at most 254 characters, and takes a piece
    // that starts with "-----BEGIN " and ends a line for the start of a block. This subject's
    // comment line in trusted.pem, "# FINGERPRINT CN=VALUE\n", has 71 characters besides VALUE,
    // which neither RFC 2253 nor escaping changes: with 4021 in VALUE its last piece is the header.
    String header = "-----BEGIN CERTIFICATE-----";
    String longValue = "long " + "x".repeat(254 * 16 + 28 - 71 - 5 - header.length()) + header;
    SelfSigned longName = HostileCertificates.create(scratch, "long", commonName(longValue));
    for (SelfSigned identity : List.of(injection, longName)) {
      X509Certificate certificate = HostileCertificates.certificate(identity);
      attackers.put(HostileCertificates.fingerprint(certificate.getEncoded()), certificate);
    }
    // What the attacks rely on: the subjects as the JDK reads them (as paird does) hold mallory's
    // block and the long value unchanged, and the forged line passes the log's format check.
    assertThat(subject(HostileCertificates.certificate(injection))).contains(mallorysBlock);
    assertThat(subject(HostileCertificates.certificate(longName))).isEqualTo("CN=" + longValue);
    assertThat(FORGED_LOG_LINE).matches(LOG_LINE);

    victim = start("victim", HostileCertificates.create(scratch, "victim", commonName("victim")));
    injector = start("injector", injection);
    longSubject = start("long", longName);
    for (LiveDaemon hostile : List.of(injector, longSubject)) {
      pairingOutput.add(pairWithTheVictimsKey(hostile));
      pairingOutput.add(victimPairsWithTheKeyOf(hostile));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(victim, injector, longSubject);
  }

  /** The hostile subjects were accepted: the victim trusts exactly the two devices. */
  @Test
  void listTrusted_namesExactlyTheHostileDevices_neverMallory() throws Exception {
    assertThat(listed()).isEqualTo(attackers.keySet()).doesNotContain(fingerprint(mallory));
    assertThat(injector.trusted()).containsExactly(fingerprint(victim));
    assertThat(longSubject.trusted()).containsExactly(fingerprint(victim));
  }

  @Test
  void trustedPem_readByTheJdkAndOpenssl_holdsExactlyTheListedCertificates() throws Exception {
    Path pem = state(victim).resolve("trusted.pem");
    Path pkcs7 = dir.resolve("trusted.p7b");
    Set<String> listed = listed();
    SoftAssertions softly = new SoftAssertions();

    softly
        .assertThat(fingerprints(Files.readAllBytes(pem)))
        .as("the JDK's reading (mallory: %s)", fingerprint(mallory))
        .isEqualTo(listed);
    // openssl reads the bundle and writes its certificates as PKCS#7, which the JDK reads.
    Processes.Result openssl =
        Processes.run(
            "openssl",
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            pem.toString(),
            "-outform",
            "DER",
            "-out",
            pkcs7.toString());
    softly.assertThat(openssl.exitStatus()).as("openssl: %s", openssl.output()).isZero();
    if (openssl.exitStatus() == 0) {
      softly
          .assertThat(fingerprints(Files.readAllBytes(pkcs7)))
          .as("openssl's reading (mallory: %s)", fingerprint(mallory))
          .isEqualTo(listed);
    }
    softly.assertAll();
  }

  @Test
  void trustedPem_isPrintableAscii_everyLineOutsideABlockAComment() throws Exception {
    byte[] bytes = Files.readAllBytes(state(victim).resolve("trusted.pem"));
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    int blocks = 0;
    boolean inBlock = false;
    assertThat(text).endsWith("\n");
    for (String line : text.substring(0, text.length() - 1).split("\n", -1)) {
      assertThat(line).as("a line of trusted.pem").matches("[\\x20-\\x7e]*");
      if (!inBlock && line.equals("-----BEGIN CERTIFICATE-----")) {
        inBlock = true;
        blocks++;
      } else if (!inBlock) {
        // GnuTLS looks for "-----BEGIN CERTIFICATE" anywhere in the text, comments included.
        assertThat(line).as("a line outside a PEM block").startsWith("#").doesNotContain("-----");
      } else if (line.equals("-----END CERTIFICATE-----")) {
        inBlock = false;
      } else {
        assertThat(line).as("a line inside a PEM block").matches("[A-Za-z0-9+/=]{1,64}");
      }
    }
    assertThat(inBlock).as("the last block ended").isFalse();
    assertThat(blocks).isEqualTo(attackers.size());
  }

  @Test
  void trustedP12_readByTheJdk_holdsExactlyTheListedCertificates() throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(state(victim).resolve("trusted.p12"))) {
      store.load(in, null);
    }
    Set<String> held = new TreeSet<>();
    for (String alias : Collections.list(store.aliases())) {
      assertThat(store.isCertificateEntry(alias)).as("entry %s", alias).isTrue();
      String fingerprint = fingerprint(store.getCertificate(alias));
      assertThat(alias).as("the alias of %s", fingerprint).isEqualTo(fingerprint);
      held.add(fingerprint);
    }

    assertThat(held).isEqualTo(listed());
  }

  @Test
  void trustedCerts_namedByOpensslsHash_holdExactlyTheListedCertificates() throws Exception {
    Path capath = state(victim).resolve("trusted-certs");
    Path scratch = Files.createDirectories(dir.resolve("capath-der"));
    Set<String> held = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> list = Files.list(capath)) {
      files = list.toList();
    }
    for (Path file : files) {
      String hash = OpenSslCli.run("x509", "-in", file.toString(), "-noout", "-hash").strip();
      Path der = scratch.resolve(file.getFileName() + ".der");
      OpenSslCli.run("x509", "-in", file.toString(), "-outform", "DER", "-out", der.toString());
      assertThat(file.getFileName().toString())
          .as("a file in trusted-certs/")
          .matches(Pattern.quote(hash) + "\\.[0-9]+");
      held.add(HostileCertificates.fingerprint(Files.readAllBytes(der)));
    }

    assertThat(files).hasSize(attackers.size());
    assertThat(held).isEqualTo(listed());
    // OpenSSL looks each one up by its subject there, and does not find mallory.
    Path malloryFile = Files.writeString(scratch.resolve("mallory.pem"), pem(mallory));
    for (X509Certificate certificate : attackers.values()) {
      Path file = Files.writeString(scratch.resolve(fingerprint(certificate)), pem(certificate));
      Processes.Result verify =
          Processes.run("openssl", "verify", "-CApath", capath.toString(), file.toString());
      assertThat(verify.exitStatus()).as(verify.output()).isZero();
    }
    Processes.Result verify =
        Processes.run("openssl", "verify", "-CApath", capath.toString(), malloryFile.toString());
    assertThat(verify.exitStatus()).as(verify.output()).isNotZero();
  }

  /**
   * trusted.json and trusted.journal, read with Jackson and replayed: the listed peers, each
   * subject the JDK's reading of its certificate, and no control character outside JSON's escapes.
   */
  @Test
  void trustedJsonAndJournal_readByJackson_holdTheSubjectsAsJsonText() throws Exception {
    Path state = state(victim);
    Map<String, JsonNode> peers = new HashMap<>();
    Path list = state.resolve("trusted.json");
    if (Files.exists(list)) {
      byte[] bytes = Files.readAllBytes(list);
      assertNoC0Controls("trusted.json", bytes);
      for (JsonNode peer : JSON.readTree(bytes).path("peers")) {
        peers.put(peer.path("fingerprint").textValue(), peer);
      }
    }
    Path journal = state.resolve("trusted.journal");
    if (Files.exists(journal)) {
      byte[] bytes = Files.readAllBytes(journal);
      assertNoC0Controls("trusted.journal", bytes);
      for (String line : new String(bytes, StandardCharsets.UTF_8).lines().toList()) {
        assertThat(line).as("a journal line").matches("[0-9a-f]{8} \\{.*\\}");
        JsonNode change = JSON.readTree(line.substring(9));
        if (change.has("put")) {
          peers.put(change.path("put").path("fingerprint").textValue(), change.path("put"));
        } else if (change.has("remove")) {
          peers.remove(change.path("remove").textValue());
        }
      }
    }

    assertThat(new TreeSet<>(peers.keySet())).isEqualTo(listed());
    for (Map.Entry<String, JsonNode> peer : peers.entrySet()) {
      X509Certificate certificate =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(
                      new ByteArrayInputStream(
                          peer.getValue()
                              .path("certificate")
                              .textValue()
                              .getBytes(StandardCharsets.US_ASCII)));
      assertThat(fingerprint(certificate)).isEqualTo(peer.getKey());
      assertThat(peer.getValue().path("subject").textValue()).isEqualTo(subject(certificate));
    }
  }

  /**
   * The victim's log, and each hostile device's (which names its own subject at start-up): nothing
   * but paird's lines, each in paird's format, none starting with what a subject holds after a line
   * break, none longer than 2 KiB (the 4 KiB subject is cut short); no ESC, CR, NUL or other
   * control byte.
   */
  @Test
  void logs_holdEachSubjectOnOneLineOfPairds_withoutControlCharacters() throws Exception {
    for (String fingerprint : attackers.keySet()) {
      victim.process.awaitLogLine(
          line -> line.contains("(" + fingerprint + ")"),
          "naming the device " + fingerprint + " that paired",
          BOUND);
    }
    for (LiveDaemon daemon : List.of(victim, injector, longSubject)) {
      byte[] log = daemon.process.logBytes();
      assertPrintableAscii(daemon.name + "'s log", log);
      String text = new String(log, StandardCharsets.UTF_8);
      assertThat(text).as("%s's log", daemon.name).endsWith("\n");
      for (String line : text.substring(0, text.length() - 1).split("\n", -1)) {
        assertThat(line).as("a line of %s's log", daemon.name).matches(LOG_LINE);
        assertStartsWithNoSubjectLine(daemon.name + "'s log", line);
        // A subject is cut short in a log line: journald splits a line at 48 KiB, and the rest,
        // which a subject could shape, would stand as an entry of its own.
        assertThat(line.length()).as("length of a line of %s's log", daemon.name).isLessThan(2048);
      }
      byte[] stdout = Files.readAllBytes(stdout(daemon));
      assertPrintableAscii(daemon.name + "'s stdout", stdout);
    }
  }

  /**
   * What pairctl prints to a UTF-8 terminal about the hostile devices: new-key --wait and pair
   * while pairing, then list-trusted, show and ping. Printable characters the terminal can show
   * appear as themselves (the control: "grüß"), and nothing else does.
   */
  @Test
  void pairctl_printsNoControlOrFormattingCharacterToATerminal() throws Exception {
    List<Printed> printed = new ArrayList<>(pairingOutput);
    printed.add(run(victim, "list-trusted"));
    printed.add(run(victim, "list-trusted", "--full"));
    for (String fingerprint : attackers.keySet()) {
      printed.add(run(victim, "show", fingerprint));
    }
    for (LiveDaemon hostile : List.of(injector, longSubject)) {
      printed.add(run(victim, "ping", hostile.address));
    }

    for (Printed output : printed) {
      assertThat(output.status()).as("%s: %s", output.what(), output.errText()).isZero();
      String text = terminalText(output.what(), output.out());
      for (String line : text.split("\n", -1)) {
        assertThat(line).as("a line of %s", output.what()).doesNotStartWith("-----");
        assertStartsWithNoSubjectLine(output.what(), line);
      }
      assertThat(terminalText(output.what() + " on stderr", output.err())).isEmpty();
    }
    String list = terminalText("list-trusted", printed.get(pairingOutput.size()).out());
    assertThat(list.lines()).as("list-trusted: a header and a line a peer").hasSize(3);
    assertThat(list).as("list-trusted").contains("gr\u00fc\u00df");
  }

  /**
   * {@code --json}: plain ASCII, each subject JSON text that reads back as the JDK reads the
   * certificate's; {@code show --pem} prints exactly the device's certificate.
   */
  @Test
  void pairctlJson_isAsciiAndEachSubjectRoundTrips_andShowPemIsTheCertificate() throws Exception {
    Printed list = run(victim, "--json", "list-trusted");
    List<JsonNode> peers = new ArrayList<>();
    jsonText(list).path("peers").forEach(peers::add);
    for (String fingerprint : attackers.keySet()) {
      Printed show = run(victim, "--json", "show", fingerprint);
      peers.add(jsonText(show).path("peer"));
      Printed pem = run(victim, "show", "--pem", fingerprint);
      assertThat(pem.status()).as("show --pem: %s", pem.errText()).isZero();
      assertThat(fingerprints(pem.out())).containsExactly(fingerprint);
    }

    assertThat(peers).hasSize(2 * attackers.size());
    for (JsonNode peer : peers) {
      String fingerprint = peer.path("fingerprint").textValue();
      assertThat(attackers).containsKey(fingerprint);
      assertThat(peer.path("subject").textValue()).isEqualTo(subject(attackers.get(fingerprint)));
    }
  }

  /** Starts paird {@code name} presenting {@code identity}, its standard output kept in a file. */
  private static LiveDaemon start(String name, SelfSigned identity) throws Exception {
    Path home = Files.createDirectories(dir.resolve(name));
    Path stdout = home.resolve("stdout");
    // PairdProcess discards paird's standard output; the shell sends it to "$0", the file.
    return LiveDaemon.start(
        home,
        name,
        identity,
        options -> options.wrapper(List.of("sh", "-c", "exec \"$@\" >\"$0\"", stdout.toString())));
  }

  private static Path stdout(LiveDaemon daemon) {
    return dir.resolve(daemon.name).resolve("stdout");
  }

  private static Path state(LiveDaemon daemon) {
    return dir.resolve(daemon.name).resolve("state");
  }

  /**
   * The victim makes a key with {@code pairctl new-key --wait}; the hostile device pairs with it;
   * returns what the waiting pairctl printed, its last line naming who paired.
   */
  private static Printed pairWithTheVictimsKey(LiveDaemon hostile) throws Exception {
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process process = pairctl(victim, "new-key", "--wait").redirectError(err.toFile()).start();
    Copy out = new Copy(process.getInputStream());
    try {
      String key = out.await(KEY_LINE, BOUND);
      victim.keys.add(key);
      Pairctl.Result pair = hostile.pair(victim.address, key);
      assertThat(pair.status())
          .as("%s pairs with the victim: %s", hostile.name, pair.err())
          .isZero();
      assertThat(process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
      return new Printed(
          "new-key --wait, used by " + hostile.name,
          process.exitValue(),
          out.finish(),
          Files.readAllBytes(err));
    } finally {
      process.destroyForcibly();
    }
  }

  /** The hostile device makes a key; the victim pairs with it, with pairctl pair. */
  private static Printed victimPairsWithTheKeyOf(LiveDaemon hostile) throws Exception {
    String key = hostile.newKey().path("key").textValue();
    victim.keys.add(key);
    Printed pair = run(victim, "pair", hostile.address, key);
    assertThat(pair.status())
        .as("the victim pairs with %s: %s", hostile.name, pair.errText())
        .isZero();
    return new Printed("pair " + hostile.name, pair.status(), pair.out(), pair.err());
  }

  /** pairctl as a person runs it on a UTF-8 terminal, against {@code daemon}. */
  private static ProcessBuilder pairctl(LiveDaemon daemon, String... args) {
    List<String> command =
        new ArrayList<>(List.of(PAIRCTL.toString(), "--socket", daemon.socket.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("LC_ALL", "C.UTF-8");
    return builder;
  }

  private static Printed run(LiveDaemon daemon, String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process process =
        pairctl(daemon, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
    return new Printed(
        String.join(" ", args),
        process.exitValue(),
        Files.readAllBytes(out),
        Files.readAllBytes(err));
  }

  /** The fingerprints the victim's {@code pairctl --json list-trusted} names. */
  private static Set<String> listed() throws Exception {
    Set<String> fingerprints = new TreeSet<>();
    for (JsonNode peer : victim.ctl.json("list-trusted").path("peers")) {
      fingerprints.add(peer.path("fingerprint").textValue());
    }
    return fingerprints;
  }

  private static String fingerprint(LiveDaemon daemon) {
    return OpenSslCli.fingerprint(daemon.identity.cert());
  }

  private static String fingerprint(Certificate certificate) throws Exception {
    return HostileCertificates.fingerprint(certificate.getEncoded());
  }

  /** The fingerprints of the certificates the JDK reads from PEM text or PKCS#7. */
  private static Set<String> fingerprints(byte[] certificates) throws Exception {
    Set<String> out = new TreeSet<>();
    for (Certificate certificate :
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(certificates))) {
      out.add(fingerprint(certificate));
    }
    return out;
  }

  private static String subject(X509Certificate certificate) {
    return certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
  }

  private static String pem(X509Certificate certificate) {
    return "-----BEGIN CERTIFICATE-----\n"
        + HostileCertificates.base64Lines(certificate)
        + "\n-----END CERTIFICATE-----\n";
  }

  private static DERUTF8String utf8(String text) {
    return new DERUTF8String(text);
  }

  private static X500Name commonName(String text) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, utf8(text)).build();
  }

  /**
   * Fails if {@code line} starts with what one of the hostile subjects holds after a line break or
   * a carriage return: text that would look like a line of its own.
   */
  private static void assertStartsWithNoSubjectLine(String where, String line) {
    for (X509Certificate certificate : attackers.values()) {
      String[] parts = subject(certificate).split("[\r\n]", -1);
      for (int i = 1; i < parts.length; i++) {
        if (!parts[i].isEmpty()) {
          assertThat(line).as("a line of %s", where).doesNotStartWith(parts[i]);
        }
      }
    }
  }

  /** Fails on any byte but printable ASCII and the line feed. */
  private static void assertPrintableAscii(String where, byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      assertThat(bytes[i] == '\n' || (bytes[i] >= 0x20 && bytes[i] < 0x7f))
          .as("%s: byte 0x%02x at offset %d", where, bytes[i] & 0xff, i)
          .isTrue();
    }
  }

  /**
   * Fails on a C0 control byte but the line feed: JSON text may hold any other character as it is,
   * these only escaped.
   */
  private static void assertNoC0Controls(String where, byte[] bytes) {
    for (int i = 0; i < bytes.length; i++) {
      assertThat(bytes[i] == '\n' || bytes[i] < 0 || bytes[i] >= 0x20)
          .as("%s: byte 0x%02x at offset %d", where, bytes[i] & 0xff, i)
          .isTrue();
    }
  }

  /**
   * What a terminal would be given: valid UTF-8 without a control character (C0 but the line feed,
   * DEL, C1), a formatting one (bidirectional overrides) or a line or paragraph separator.
   */
  private static String terminalText(String what, byte[] bytes) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new AssertionError(what + " printed bytes that are not UTF-8", e);
    }
    text.codePoints()
        .filter(c -> c != '\n')
        .forEach(
            c -> {
              int type = Character.getType(c);
              assertThat(
                      type == Character.CONTROL
                          || type == Character.FORMAT
                          || type == Character.LINE_SEPARATOR
                          || type == Character.PARAGRAPH_SEPARATOR)
                  .as("%s printed U+%04X", what, c)
                  .isFalse();
            });
    return text;
  }

  /** A {@code --json} answer: printable ASCII on one line, parsed. */
  private static JsonNode jsonText(Printed printed) throws IOException {
    assertThat(printed.status()).as("%s: %s", printed.what(), printed.errText()).isZero();
    String text = new String(printed.out(), StandardCharsets.ISO_8859_1);
    assertThat(text).as(printed.what()).matches("[\\x20-\\x7e]*\n");
    return JSON.readTree(text);
  }

  /** What a finished pairctl printed, bytes as they came. */
  private record Printed(String what, int status, byte[] out, byte[] err) {
    String errText() {
      return new String(err, StandardCharsets.UTF_8);
    }
  }

  /** Copies a running process's output as it comes, so that a test can wait for a line of it. */
  private static final class Copy {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Thread thread;
    private boolean ended;

    Copy(InputStream in) {
      thread =
          new Thread(
              () -> {
                byte[] buffer = new byte[4096];
                try (in) {
                  for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    synchronized (bytes) {
                      bytes.write(buffer, 0, n);
                      bytes.notifyAll();
                    }
                  }
                } catch (IOException e) {
                  // The process was killed; what it printed before is kept.
                } finally {
                  synchronized (bytes) {
                    ended = true;
                    bytes.notifyAll();
                  }
                }
              },
              "pairctl-output");
      thread.setDaemon(true);
      thread.start();
    }

    /** Group 1 of {@code pattern}'s first match in the output, waited for at most {@code bound}. */
    String await(Pattern pattern, Duration bound) throws InterruptedException {
      long end = System.nanoTime() + bound.toNanos();
      synchronized (bytes) {
        while (true) {
          Matcher matcher = pattern.matcher(bytes.toString(StandardCharsets.UTF_8));
          if (matcher.find()) {
            return matcher.group(1);
          }
          long left = end - System.nanoTime();
          if (left <= 0 || ended) {
            throw new AssertionError(
                "no match of " + pattern + " in: " + bytes.toString(StandardCharsets.UTF_8));
          }
          TimeUnit.NANOSECONDS.timedWait(bytes, left);
        }
      }
    }

    /** Everything, once the output has ended. */
    byte[] finish() throws InterruptedException {
      thread.join(BOUND.toMillis());
      synchronized (bytes) {
        assertThat(ended).as("pairctl's output ended").isTrue();
        return bytes.toByteArray();
      }
    }
  }
}
