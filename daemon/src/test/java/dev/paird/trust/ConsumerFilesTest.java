package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.io.AtomicFiles;
import dev.paird.testing.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outputs for other software (the CApath directory and the PKCS#12 store) hold exactly the
 * trusted list after every change, and are rebuilt from the list when a crash left them behind.
 * Each is checked with the tools that read it: {@code openssl verify -CApath}, Java's key store and
 * {@code keytool -list}.
 */
final class ConsumerFilesTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final List<X509Certificate> CERTS = TestCertificates.selfSigned("peer", 3);
  private static final X509Certificate A = CERTS.get(0);
  private static final X509Certificate B = CERTS.get(1);
  private static final X509Certificate C = CERTS.get(2);

  /**
   * Two certificates with the same subject, so the same hash: {@code .0} and {@code .1}. OpenSSL
   * tells them apart by their key identifiers; without those it would try only the first.
   */
  private static final X509Certificate TWIN_1 =
      TestCertificates.selfSignedWithKeyIdentifiers("Twin");

  private static final X509Certificate TWIN_2 =
      TestCertificates.selfSignedWithKeyIdentifiers("Twin");

  @TempDir Path dir;

  private Path capath() {
    return dir.resolve("trusted-certs");
  }

  private Path pkcs12() {
    return dir.resolve("trusted.p12");
  }

  @Test
  void open_emptyDirectory_writesEmptyOutputs() throws Exception {
    TrustStore.open(dir);

    assertThat(capath()).isDirectory().isEmptyDirectory();
    assertThat(javaStore()).isEmpty();
  }

  @Test
  void put_eachPeer_isInEveryOutput() throws Exception {
    TrustStore store = TrustStore.open(dir);
    for (X509Certificate certificate : CERTS) {
      store.put(certificate, "host", Suite.SPAKE2, Optional.empty(), T0);
    }

    assertOutputsHold(A, B, C);
    assertKeytoolLists(A, B, C);
    assertThat(verify(A)).isTrue();
    assertThat(javaStore()).containsOnlyKeys(fingerprints(A, B, C));
  }

  @Test
  void javaDefaultTrustStore_fromSystemProperties_isTheTrustedList() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "host", Suite.SPAKE2, Optional.empty(), T0);
    store.put(B, "host", Suite.SPAKE2, Optional.empty(), T0);
    // What a Java service gets from -Djavax.net.ssl.trustStore as INTEGRATION.md sets it: the
    // default trust manager, built by the JDK from those properties without a password.
    Path program = dir.resolve("Issuers.java");
    Files.writeString(
        program,
        String.join(
            "\n",
            "import javax.net.ssl.*;",
            "public class Issuers {",
            "  public static void main(String[] args) throws Exception {",
            "    TrustManagerFactory f = TrustManagerFactory.getInstance(\"PKIX\");",
            "    f.init((java.security.KeyStore) null);",
            "    for (var c : ((X509TrustManager) f.getTrustManagers()[0]).getAcceptedIssuers()) {",
            "      System.out.println(c.getSubjectX500Principal().getName());",
            "    }",
            "  }",
            "}",
            ""));
    Processes.Result java =
        Processes.run(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Djavax.net.ssl.trustStore=" + pkcs12(),
            "-Djavax.net.ssl.trustStoreType=PKCS12",
            program.toString());

    assertThat(java.exitStatus()).as(java.output()).isZero();
    assertThat(java.output().lines()).containsExactlyInAnyOrder("CN=peer-1", "CN=peer-2");
  }

  @Test
  void put_sameSubjectTwice_numbersTheHashFiles() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(TWIN_1, "one", Suite.HMAC, Optional.empty(), T0);
    store.put(TWIN_2, "two", Suite.HMAC, Optional.empty(), T0.plusSeconds(1));

    String hash = opensslHash(TWIN_1);
    assertThat(files(capath())).containsExactly(hash + ".0", hash + ".1");
    assertThat(Files.readString(capath().resolve(hash + ".0")))
        .isEqualTo(Certificates.toPem(TWIN_1));
    assertThat(Files.readString(capath().resolve(hash + ".1")))
        .isEqualTo(Certificates.toPem(TWIN_2));
    assertThat(verify(TWIN_1)).isTrue();
    assertThat(verify(TWIN_2)).isTrue();
  }

  @Test
  void remove_dropsThePeerFromEveryOutput() throws Exception {
    TrustStore store = TrustStore.open(dir);
    for (X509Certificate certificate : CERTS) {
      store.put(certificate, "host", Suite.SPAKE2, Optional.empty(), T0);
    }

    store.remove(Certificates.fingerprint(B));

    assertOutputsHold(A, C);
    assertKeytoolLists(A, C);
    assertThat(verify(B)).as("openssl verify of the removed peer").isFalse();
    assertThat(javaStore()).containsOnlyKeys(fingerprints(A, C));
    // Withdrawn in place in both bundles (WrittenOutputs): read by OpenSSL as nginx and curl read
    // trusted.pem, and trusted.p12 by OpenSSL's PKCS#12 reader as well as Java's.
    assertThat(verifyWithBundle(A)).isTrue();
    assertThat(verifyWithBundle(C)).isTrue();
    assertThat(verifyWithBundle(B)).as("openssl verify -CAfile of the removed peer").isFalse();
    Processes.Result pkcs12 =
        Processes.run(
            "openssl", "pkcs12", "-in", pkcs12().toString(), "-nokeys", "-passin", "pass:");
    assertThat(pkcs12.exitStatus()).as(pkcs12.output()).isZero();
    assertThat(pkcs12.output())
        .contains(base64Body(A), base64Body(C))
        .doesNotContain(base64Body(B));
    // Appending to the store again writes both whole, without the withdrawn entry.
    store.put(B, "host", Suite.SPAKE2, Optional.empty(), T0);
    assertOutputsHold(A, C, B);
    assertThat(Files.readString(dir.resolve("trusted.pem"))).doesNotContain("withdrawn");
  }

  /** Whether {@code openssl verify -CAfile trusted.pem} accepts the certificate. */
  private boolean verifyWithBundle(X509Certificate certificate) throws IOException {
    return TestCertificates.opensslVerifies(
        dir, certificate, "-no-CApath", "-CAfile", dir.resolve("trusted.pem").toString());
  }

  /** The first line of the certificate's PEM body: enough to tell it in a tool's output. */
  private static String base64Body(X509Certificate certificate) {
    return Certificates.toPem(certificate).lines().skip(1).findFirst().orElseThrow();
  }

  @Test
  void remove_firstOfTwoEqualSubjects_renumbersAndLeavesNoStaleFile() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(TWIN_1, "one", Suite.HMAC, Optional.empty(), T0);
    store.put(TWIN_2, "two", Suite.HMAC, Optional.empty(), T0.plusSeconds(1));

    store.remove(Certificates.fingerprint(TWIN_1));

    String hash = opensslHash(TWIN_2);
    assertThat(files(capath())).containsExactly(hash + ".0");
    assertThat(verify(TWIN_1)).isFalse();
    assertThat(verify(TWIN_2)).isTrue();
  }

  @Test
  void put_newPeer_replacesNoOtherCapathFile() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "host", Suite.SPAKE2, Optional.empty(), T0);
    store.put(B, "host", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(1));
    Map<String, Object> before = capathInodes();

    store.put(C, "host", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(2));

    assertThat(capathInodes()).hasSize(3).containsAllEntriesOf(before);
    assertOutputsHold(A, B, C);
  }

  @Test
  void remove_onePeer_replacesNoOtherCapathFile() throws Exception {
    TrustStore store = TrustStore.open(dir);
    for (X509Certificate certificate : CERTS) {
      store.put(certificate, "host", Suite.SPAKE2, Optional.empty(), T0);
    }
    Map<String, Object> before = capathInodes();
    before.remove(opensslHash(B) + ".0");

    store.remove(Certificates.fingerprint(B));

    assertThat(capathInodes()).isEqualTo(before);
    assertOutputsHold(A, C);
  }

  @Test
  void put_samePeerAgain_leavesTheOutputsAsTheyWere() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "host", Suite.SPAKE2, Optional.empty(), T0);
    store.put(B, "host", Suite.SPAKE2, Optional.empty(), T0);
    Map<String, byte[]> before = snapshot();
    Map<String, Object> inodes = outputInodes();

    store.put(A, "elsewhere", Suite.HMAC, Optional.of("Laptop"), T0.plusSeconds(60));

    Map<String, byte[]> after = snapshot();
    assertThat(after).containsOnlyKeys(before.keySet());
    before.forEach((name, bytes) -> assertThat(after.get(name)).as(name).isEqualTo(bytes));
    // Not even rewritten with the same bytes: a rename would start paird-trust-changed's hooks.
    assertThat(outputInodes()).isEqualTo(inodes);
    assertThat(store.get(Certificates.fingerprint(A)).orElseThrow().host()).isEqualTo("elsewhere");
    assertOutputsHold(A, B);
  }

  @Test
  void removeThenPairAgain_isInEveryOutputAgain() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "host", Suite.SPAKE2, Optional.empty(), T0);
    store.remove(Certificates.fingerprint(A));
    assertThat(verify(A)).isFalse();

    store.put(A, "host", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(5));

    assertOutputsHold(A);
    assertThat(verify(A)).isTrue();
  }

  /**
   * A change touches only the files of one subject hash, numbered from what the store keeps by
   * hash, not from the whole list: after each of many random pairings, re-pairings and removals of
   * peers that share subjects, added at times in and out of list order (a clock set back),
   * trusted-certs/ holds exactly what start-up derives from the whole list, and the list and its
   * lookups agree.
   */
  @Test
  void manyChanges_amongEqualSubjects_trustedCertsIsWhatTheWholeListGives() throws Exception {
    List<X509Certificate> pool = new ArrayList<>(CERTS);
    for (String subject : List.of("Twin", "Twin", "Twin", "Pair", "Pair")) {
      pool.add(TestCertificates.selfSignedWithKeyIdentifiers(subject));
    }
    pool.add(TWIN_1);
    TrustStore store = TrustStore.open(dir);
    Random random = new Random(11);
    for (int step = 0; step < 150; step++) {
      X509Certificate certificate = pool.get(random.nextInt(pool.size()));
      String fingerprint = Certificates.fingerprint(certificate);
      Instant at = T0.plusSeconds(random.nextInt(200) - 100);
      if (store.get(fingerprint).isPresent() && random.nextBoolean()) {
        store.remove(fingerprint);
      } else {
        store.put(certificate, "host-" + step, Suite.SPAKE2, Optional.empty(), at);
      }

      List<TrustedPeer> list = store.list();
      assertThat(list).isSortedAccordingTo(TrustFiles.ORDER);
      for (X509Certificate each : pool) {
        String eachFingerprint = Certificates.fingerprint(each);
        assertThat(store.get(eachFingerprint).map(TrustedPeer::fingerprint))
            .as("step %d", step)
            .isEqualTo(
                list.stream()
                    .map(TrustedPeer::fingerprint)
                    .filter(eachFingerprint::equals)
                    .findFirst());
      }
      Map<String, String> expected = new TreeMap<>();
      CaPathDirectory.entries(list, new PeerEncodings())
          .forEach((name, peer) -> expected.put(name, Certificates.toPem(peer.certificate())));
      Map<String, String> held = new TreeMap<>();
      for (String name : files(capath())) {
        held.put(name, Files.readString(capath().resolve(name), StandardCharsets.US_ASCII));
      }
      assertThat(held).as("trusted-certs/ after step %d", step).isEqualTo(expected);
    }
    X509Certificate[] listed =
        store.list().stream().map(TrustedPeer::certificate).toArray(X509Certificate[]::new);
    assertOutputsHold(listed);
  }

  @Test
  void open_afterCrashBetweenListAndOutputs_rebuildsThemFromTheList() throws Exception {
    // The outputs of {A, B}, and a list that has moved on to {B, C}: what a crash after
    // trusted.json was replaced and before the outputs were leaves behind.
    Path old = Files.createDirectory(dir.resolve("old"));
    TrustStore before = TrustStore.open(old);
    before.put(A, "host", Suite.SPAKE2, Optional.empty(), T0);
    before.put(B, "host", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(1));
    TrustStore after = TrustStore.open(dir);
    after.put(B, "host", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(1));
    after.put(C, "host", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(2));
    after.close();
    replaceOutputs(old, dir);
    Files.writeString(capath().resolve(".0badc0de.0.tmp-123456"), "torn");
    Files.writeString(dir.resolve(".trusted.p12.tmp-123456"), "torn");
    assertThat(verify(A)).as("the crash left A trusted").isTrue();

    TrustStore.open(dir);

    assertOutputsHold(B, C);
    assertThat(verify(A)).isFalse();
    assertThat(javaStore()).containsOnlyKeys(fingerprints(B, C));
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(
              "old",
              "trusted.json",
              "trusted.journal",
              "trusted.pem",
              "trusted-certs",
              "trusted.p12");
    }
  }

  @Test
  void open_longList_repairsEveryKindOfDamageToTrustedCerts() throws Exception {
    List<TrustedPeer> peers = new ArrayList<>();
    for (X509Certificate certificate : TestCertificates.selfSigned("fleet", 400)) {
      peers.add(
          TrustedPeer.create(
              certificate, "host", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(peers.size())));
    }
    byte[] json = TrustFiles.encodeJson(peers);
    Files.write(dir.resolve(TrustFiles.JSON_NAME), json);
    TrustStore.open(dir).close();
    Map<String, byte[]> wanted = new TreeMap<>();
    PeerEncodings encodings = new PeerEncodings();
    CaPathDirectory.entries(TrustFiles.decodeJson(dir, json), encodings)
        .forEach((name, peer) -> wanted.put(name, encodings.of(peer).certificatePem()));
    List<String> names = new ArrayList<>(wanted.keySet());
    // One file changed in one byte (same size), one a link to the right content, one missing,
    // one the list does not name, and a crashed write's temporary file.
    byte[] changed = wanted.get(names.get(10)).clone();
    changed[40] = (byte) (changed[40] == 'A' ? 'B' : 'A');
    Files.write(capath().resolve(names.get(10)), changed);
    Path elsewhere = Files.write(dir.resolve("elsewhere"), wanted.get(names.get(20)));
    Files.delete(capath().resolve(names.get(20)));
    Files.createSymbolicLink(capath().resolve(names.get(20)), elsewhere);
    Files.delete(capath().resolve(names.get(30)));
    String stale = wanted.containsKey("00000000.0") ? "ffffffff.0" : "00000000.0";
    Files.write(capath().resolve(stale), wanted.get(names.get(40)));
    Files.writeString(capath().resolve(".0badc0de.0.tmp-123456"), "torn");

    TrustStore.open(dir).close();

    Map<String, byte[]> held = new TreeMap<>();
    try (Stream<Path> files = Files.list(capath())) {
      for (Path file : files.collect(Collectors.toList())) {
        assertThat(file).isRegularFile();
        held.put(file.getFileName().toString(), Files.readAllBytes(file));
      }
    }
    assertThat(held).containsOnlyKeys(wanted.keySet());
    wanted.forEach((name, pem) -> assertThat(held.get(name)).as(name).isEqualTo(pem));
  }

  @Test
  void readRegular_sizeOtherThanTheFiles_readsWhatIsThere() throws Exception {
    byte[] content = "0123456789".getBytes(StandardCharsets.US_ASCII);
    Path file = Files.write(dir.resolve("ten"), content);

    assertThat(ConsumerFiles.readRegular(file, 10)).isEqualTo(content);
    assertThat(ConsumerFiles.readRegular(file, 9)).as("grown since").hasSize(10);
    assertThat(ConsumerFiles.readRegular(file, 11)).as("shrunk since").isEqualTo(content);
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);
    assertThatThrownBy(() -> ConsumerFiles.readRegular(link, 10)).isInstanceOf(IOException.class);
  }

  @Test
  void holds_partsReadThroughTheBuffer_comparesEveryByte() throws Exception {
    // Parts of sizes that straddle the 64 KiB buffer, as trusted.pem's 10,000 entries do.
    List<byte[]> parts = new ArrayList<>();
    byte[] whole = new byte[200_000];
    new Random(3).nextBytes(whole);
    for (int at = 0; at < whole.length; ) {
      int length = Math.min(whole.length - at, 700 + at % 9_000);
      parts.add(Arrays.copyOfRange(whole, at, at + length));
      at += length;
    }
    Path file = dir.resolve("whole");
    Files.write(file, whole);

    assertThat(ConsumerFiles.holds(file, parts)).isTrue();
    for (int changed : new int[] {0, 65_535, 65_536, 131_072, whole.length - 1}) {
      byte[] other = whole.clone();
      other[changed] ^= 1;
      Files.write(file, other);

      assertThat(ConsumerFiles.holds(file, parts)).as("byte %d changed", changed).isFalse();
    }
    Files.write(file, Arrays.copyOf(whole, whole.length + 1));
    assertThat(ConsumerFiles.holds(file, parts)).as("a byte more").isFalse();
    Files.write(file, Arrays.copyOf(whole, whole.length - 1));
    assertThat(ConsumerFiles.holds(file, parts)).as("a byte less").isFalse();
    Files.write(file, whole);
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);
    assertThat(ConsumerFiles.holds(link, parts)).as("a link to it").isFalse();
    assertThat(ConsumerFiles.holds(dir.resolve("missing"), parts)).as("no file").isFalse();
  }

  @Test
  void open_leavesFilesItDoesNotNameAlone() throws Exception {
    Files.createDirectory(capath());
    Files.writeString(capath().resolve("README"), "mine");
    Files.writeString(capath().resolve("0badc0de.0"), "stale");

    TrustStore.open(dir);

    assertThat(files(capath())).containsExactly("README");
  }

  @Test
  void put_outputWriteFails_changesNothingAnywhere() throws Exception {
    FailingOnce writer = new FailingOnce();
    TrustStore store = TrustStore.open(dir, 10, TrustStore.MAX_FILE_BYTES, writer);
    store.put(A, "host", Suite.SPAKE2, Optional.empty(), T0);
    Map<String, byte[]> before = snapshot();
    byte[] journal = Files.readAllBytes(dir.resolve(TrustJournal.NAME));
    writer.failOn = "trusted.p12";

    assertThatThrownBy(() -> store.put(B, "host", Suite.SPAKE2, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));

    assertThat(store.list()).extracting(TrustedPeer::certificate).containsExactly(A);
    assertThat(Files.readAllBytes(dir.resolve(TrustJournal.NAME))).isEqualTo(journal);
    assertThat(snapshot()).containsOnlyKeys(before.keySet());
    assertOutputsHold(A);
    assertThat(verify(B)).as("the CApath file of the failed change is gone").isFalse();
  }

  /** Fails the first write of one file name, then writes normally. */
  private static final class FailingOnce implements TrustStore.AtomicWriter {
    String failOn;

    @Override
    public void write(Path target, byte[] content, Set<PosixFilePermission> permissions)
        throws IOException {
      if (target.getFileName().toString().equals(failOn)) {
        failOn = null;
        throw new IOException("No space left on device");
      }
      AtomicFiles.write(target, content, permissions);
    }
  }

  /** Checks the CApath directory and the PKCS#12 store hold exactly these, in this order. */
  private void assertOutputsHold(X509Certificate... expected) throws Exception {
    List<String> wanted = new ArrayList<>();
    for (X509Certificate certificate : expected) {
      wanted.add(Certificates.toPem(certificate));
      assertThat(verify(certificate))
          .as("openssl verify -CApath %s", Certificates.subject(certificate))
          .isTrue();
    }
    List<String> held = new ArrayList<>();
    for (String name : files(capath())) {
      assertThat(name).matches("[0-9a-f]{8}\\.[0-9]+");
      held.add(Files.readString(capath().resolve(name), StandardCharsets.US_ASCII));
    }
    assertThat(held).containsExactlyInAnyOrderElementsOf(wanted);
    Map<String, X509Certificate> store = javaStore();
    assertThat(store).hasSize(expected.length);
    for (X509Certificate certificate : expected) {
      assertThat(store.get(Certificates.fingerprint(certificate))).isEqualTo(certificate);
    }
  }

  /**
   * Checks that {@code keytool -list} reads the PKCS#12 store and lists these and no other of
   * {@link #CERTS}: the JDK's own tool, in a JVM of its own. The other tests read the store through
   * the same KeyStore API in this JVM, which costs no JVM start.
   */
  private void assertKeytoolLists(X509Certificate... expected) throws Exception {
    Processes.Result keytool =
        Processes.run("keytool", "-list", "-keystore", pkcs12().toString(), "-storetype", "PKCS12");
    assertThat(keytool.exitStatus()).as(keytool.output()).isZero();
    for (X509Certificate certificate : expected) {
      assertThat(keytool.output()).contains(Certificates.fingerprint(certificate));
    }
    for (X509Certificate certificate : CERTS) {
      if (!List.of(expected).contains(certificate)) {
        assertThat(keytool.output()).doesNotContain(Certificates.fingerprint(certificate));
      }
    }
  }

  /** Whether {@code openssl verify -CApath} accepts the certificate. */
  private boolean verify(X509Certificate certificate) throws IOException {
    return TestCertificates.opensslVerifies(
        dir, certificate, "-no-CAfile", "-CApath", capath().toString());
  }

  private String opensslHash(X509Certificate certificate) throws IOException {
    Path pem = Files.createTempFile(dir, "hash", ".pem");
    Files.writeString(pem, Certificates.toPem(certificate));
    Processes.Result result =
        Processes.run("openssl", "x509", "-noout", "-hash", "-in", pem.toString());
    Files.delete(pem);
    assertThat(result.exitStatus()).isZero();
    return result.output().strip();
  }

  /** The PKCS#12 store as Java loads it without a password: trusted entries by alias. */
  private Map<String, X509Certificate> javaStore() throws Exception {
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(pkcs12())) {
      keyStore.load(in, null);
    }
    Map<String, X509Certificate> entries = new TreeMap<>();
    for (String alias : Collections.list(keyStore.aliases())) {
      assertThat(keyStore.isCertificateEntry(alias)).as(alias).isTrue();
      entries.put(alias, (X509Certificate) keyStore.getCertificate(alias));
    }
    return entries;
  }

  private static List<String> fingerprints(X509Certificate... certificates) {
    return Stream.of(certificates).map(Certificates::fingerprint).collect(Collectors.toList());
  }

  private static List<String> files(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  /** Each file of the CApath directory with its inode: a file replaced gets a new one. */
  private Map<String, Object> capathInodes() throws IOException {
    Map<String, Object> inodes = new TreeMap<>();
    for (String name : files(capath())) {
      inodes.put(name, Files.getAttribute(capath().resolve(name), "unix:ino"));
    }
    return inodes;
  }

  /** The inode of every output file, by its path relative to the state directory. */
  private Map<String, Object> outputInodes() throws IOException {
    Map<String, Object> inodes = new TreeMap<>();
    inodes.put("trusted.pem", Files.getAttribute(dir.resolve("trusted.pem"), "unix:ino"));
    inodes.put("trusted.p12", Files.getAttribute(pkcs12(), "unix:ino"));
    capathInodes().forEach((name, inode) -> inodes.put("trusted-certs/" + name, inode));
    return inodes;
  }

  /** Every output file by its path relative to the state directory, with its bytes. */
  private Map<String, byte[]> snapshot() throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    files.put("trusted.pem", Files.readAllBytes(dir.resolve("trusted.pem")));
    files.put("trusted.p12", Files.readAllBytes(pkcs12()));
    for (String name : files(capath())) {
      files.put("trusted-certs/" + name, Files.readAllBytes(capath().resolve(name)));
    }
    return files;
  }

  /** Puts the outputs of {@code from} in place of those of {@code to}, as a crash could. */
  private static void replaceOutputs(Path from, Path to) throws IOException {
    for (String name : files(to.resolve("trusted-certs"))) {
      Files.delete(to.resolve("trusted-certs").resolve(name));
    }
    for (String name : files(from.resolve("trusted-certs"))) {
      Files.copy(from.resolve("trusted-certs").resolve(name), to.resolve("trusted-certs/" + name));
    }
    for (String name : List.of("trusted.pem", "trusted.p12")) {
      Files.write(to.resolve(name), Files.readAllBytes(from.resolve(name)));
    }
  }
}
