package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

final class DeviceIdentityLoadTest {
  @TempDir Path dir;

  enum KeyForm {
    PKCS8,
    TRADITIONAL
  }

  static Stream<Arguments> acceptedKeys() {
    return Stream.of(
        Arguments.of(KeyType.EC_P256, KeyForm.PKCS8),
        Arguments.of(KeyType.EC_P256, KeyForm.TRADITIONAL),
        Arguments.of(KeyType.EC_P384, KeyForm.PKCS8),
        Arguments.of(KeyType.EC_P384, KeyForm.TRADITIONAL),
        Arguments.of(KeyType.RSA_2048, KeyForm.PKCS8),
        Arguments.of(KeyType.RSA_2048, KeyForm.TRADITIONAL),
        Arguments.of(KeyType.RSA_3072, KeyForm.PKCS8));
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("acceptedKeys")
  void load_opensslIdentity_hasOpensslFingerprint(KeyType type, KeyForm form) throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", type);
    Path key = files.key();
    if (form == KeyForm.TRADITIONAL) {
      key = OpenSslCli.traditional(key, type);
      assertThat(OpenSslCli.firstLine(key))
          .isEqualTo(
              type.traditionalCommand().equals("rsa")
                  ? "-----BEGIN RSA PRIVATE KEY-----"
                  : "-----BEGIN EC PRIVATE KEY-----");
    } else {
      assertThat(OpenSslCli.firstLine(key)).isEqualTo("-----BEGIN PRIVATE KEY-----");
    }

    DeviceIdentity identity = DeviceIdentity.load(files.cert(), key);

    assertThat(identity.fingerprint()).isEqualTo(OpenSslCli.fingerprint(files.cert()));
    assertThat(identity.subject()).isEqualTo("CN=device");
    assertThat(identity.keyType()).isEqualTo(type.description);
  }

  /**
   * The one test in which openssl generates a key while the tests run, rather than handing out one
   * it made earlier: what today's openssl writes still loads.
   */
  @Test
  void load_keyGeneratedByOpensslNow_hasOpensslFingerprint() throws Exception {
    Path key = OpenSslCli.generateKey(dir, "device", KeyType.EC_P256);
    Path cert = OpenSslCli.selfSign(dir, "device", key);

    DeviceIdentity identity = DeviceIdentity.load(cert, key);

    assertThat(identity.fingerprint()).isEqualTo(OpenSslCli.fingerprint(cert));
    assertThat(identity.keyType()).isEqualTo(KeyType.EC_P256.description);
  }

  @Test
  void load_keyAfterEcParametersBlock_loads() throws Exception {
    // What "openssl ecparam -name prime256v1 -genkey" writes: the curve, then the key.
    Path parameters = dir.resolve("parameters.pem");
    OpenSslCli.run("ecparam", "-name", "prime256v1", "-out", parameters.toString());
    Path traditional =
        OpenSslCli.traditional(OpenSslCli.newKey(dir, "device", KeyType.EC_P256), KeyType.EC_P256);
    Path key = dir.resolve("key.pem");
    Files.writeString(key, Files.readString(parameters) + Files.readString(traditional));
    OpenSslCli.privateFile(key);
    assertThat(Files.readString(key)).startsWith("-----BEGIN EC PARAMETERS-----");
    Path cert = OpenSslCli.selfSign(dir, "device", key);

    assertThat(DeviceIdentity.load(cert, key).fingerprint())
        .isEqualTo(OpenSslCli.fingerprint(cert));
  }

  @Test
  void toString_showsSubjectAndFingerprint_neverTheKey() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    DeviceIdentity identity = DeviceIdentity.load(files.cert(), files.key());

    String shown = identity.toString();

    assertThat(shown).contains("CN=device").contains(identity.fingerprint());
    String keyBase64 = Base64.getEncoder().encodeToString(identity.privateKey().getEncoded());
    assertThat(shown)
        .doesNotContain(keyBase64.substring(0, 16))
        .doesNotContain(identity.privateKey().toString());
  }

  @Test
  void load_expiredCertificate_loads() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = generator.generateKeyPair();
    X509Certificate expired =
        SelfSignedCertificates.create(
            pair,
            "old-device",
            HostNames.of("old-device", List.of()),
            Instant.parse("2001-01-01T00:00:00Z"),
            Instant.parse("2002-01-01T00:00:00Z"),
            new SecureRandom());
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Files.writeString(cert, Certificates.toPem(expired));
    OpenSslCli.privateFile(
        Files.write(key, Certificates.pem("PRIVATE KEY", pair.getPrivate().getEncoded())));

    assertThat(DeviceIdentity.load(cert, key).fingerprint())
        .isEqualTo(OpenSslCli.fingerprint(cert));
  }

  static Stream<Arguments> mismatchedKeys() {
    return Stream.of(
        Arguments.of(KeyType.EC_P256, KeyType.EC_P256),
        Arguments.of(KeyType.EC_P384, KeyType.EC_P384),
        Arguments.of(KeyType.RSA_2048, KeyType.RSA_2048),
        Arguments.of(KeyType.EC_P256, KeyType.EC_P384),
        Arguments.of(KeyType.EC_P384, KeyType.EC_P256),
        Arguments.of(KeyType.EC_P256, KeyType.RSA_2048),
        Arguments.of(KeyType.RSA_2048, KeyType.EC_P256),
        Arguments.of(KeyType.ED25519, KeyType.EC_P256));
  }

  @ParameterizedTest(name = "certificate {0}, key {1}")
  @MethodSource("mismatchedKeys")
  void load_keyOfAnotherCertificate_failsNamingBothFiles(KeyType certType, KeyType keyType) {
    Path cert = OpenSslCli.newSelfSigned(dir, "one", certType).cert();
    Path key = OpenSslCli.newKey(dir, "other", keyType);

    assertInvalid(
        () -> DeviceIdentity.load(cert, key),
        message ->
            assertThat(message)
                .isEqualTo(
                    "the private key in "
                        + key
                        + " does not match the certificate in "
                        + cert
                        + " (its public key differs); configure the key that was generated with"
                        + " this certificate"));
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {
        "RSA_1024",
        "EC_SECP256K1",
        "EC_P521",
        "ED25519",
        "ED448",
        "X25519",
        "DSA",
        "RSA_PSS"
      })
  void load_refusedKeyType_failsSayingWhatIsAccepted(KeyType type) {
    Path cert = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256).cert();
    Path key = OpenSslCli.newKey(dir, "refused", type);
    String why =
        switch (type) {
          case RSA_1024 -> "it is a 1024-bit RSA key; RSA keys must have at least 2048 bits";
          case EC_SECP256K1 -> "it is an EC key on secp256k1";
          case EC_P521 -> "it is an EC key on secp521r1";
          case ED25519 -> "it is an Ed25519 key; BoringSSL";
          case ED448 -> "it is an Ed448 key";
          case X25519 -> "it is an X25519 key, which agrees on secrets but cannot sign";
          case DSA -> "it is a key of type DSA";
          case RSA_PSS -> "it is a key of type RSASSA-PSS";
          default -> throw new AssertionError(type);
        };

    assertInvalid(
        () -> DeviceIdentity.load(cert, key),
        message ->
            assertThat(message)
                .startsWith("cannot use the private key in " + key + ": " + why)
                .contains(KeyKind.ACCEPTED)
                .contains("openssl req -x509 -newkey ec"));
  }

  @Test
  void load_encryptedPkcs8Key_failsSayingHowToDecrypt() {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path key = OpenSslCli.encryptedPkcs8(files.key());
    assertThat(OpenSslCli.firstLine(key)).isEqualTo("-----BEGIN ENCRYPTED PRIVATE KEY-----");

    assertInvalid(
        () -> DeviceIdentity.load(files.cert(), key),
        message ->
            assertThat(message)
                .contains(key + " is encrypted")
                .contains("`openssl pkey -in " + key + " -out " + key + ".plain`"));
  }

  @Test
  void load_encryptedTraditionalKey_failsSayingHowToDecrypt() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.RSA_2048);
    Path key = OpenSslCli.encryptedTraditional(files.key(), KeyType.RSA_2048);
    assertThat(Files.readString(key)).contains("Proc-Type: 4,ENCRYPTED");

    assertInvalid(
        () -> DeviceIdentity.load(files.cert(), key),
        message -> assertThat(message).contains(key + " is encrypted").contains("openssl pkey"));
  }

  @Test
  void load_emptyCertificateFile_fails() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path empty = Files.createFile(dir.resolve("empty.pem"));

    assertInvalid(
        () -> DeviceIdentity.load(empty, files.key()),
        message ->
            assertThat(message)
                .startsWith("the certificate file " + empty + " contains no PEM data")
                .contains("openssl x509 -inform der"));
  }

  @Test
  void load_emptyKeyFile_fails() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path empty = Files.createFile(dir.resolve("empty.pem"));

    assertInvalid(
        () -> DeviceIdentity.load(files.cert(), empty),
        message ->
            assertThat(message)
                .startsWith("the key file " + empty + " contains no PEM data")
                .contains("openssl pkey -inform der"));
  }

  @Test
  void load_derCertificate_failsSayingHowToConvert() {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path der = dir.resolve("cert.der");
    OpenSslCli.run(
        "x509", "-in", files.cert().toString(), "-outform", "der", "-out", der.toString());

    assertInvalid(
        () -> DeviceIdentity.load(der, files.key()),
        message ->
            assertThat(message)
                .contains("no PEM data")
                .contains("`openssl x509 -inform der -in " + der + " -out " + der + ".pem`"));
  }

  @Test
  void load_keyGivenAsCertificate_fails() {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);

    assertInvalid(
        () -> DeviceIdentity.load(files.key(), files.key()),
        message ->
            assertThat(message)
                .startsWith(
                    "the certificate file "
                        + files.key()
                        + " contains a private key, not a certificate"));
  }

  @Test
  void load_certificateFileWithKeyToo_failsSayingKeepTheKeyApart() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path combined = dir.resolve("combined.pem");
    Files.writeString(combined, Files.readString(files.cert()) + Files.readString(files.key()));

    assertInvalid(
        () -> DeviceIdentity.load(combined, files.key()),
        message ->
            assertThat(message)
                .contains(combined + " contains a private key besides the certificate")
                .contains("readable only by paird"));
  }

  @Test
  void load_certificateChain_failsSayingOneSelfSignedCertificate() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path other = OpenSslCli.newSelfSigned(dir, "other", KeyType.EC_P256).cert();
    Path chain = dir.resolve("chain.pem");
    Files.writeString(chain, Files.readString(files.cert()) + Files.readString(other));

    assertInvalid(
        () -> DeviceIdentity.load(chain, files.key()),
        message ->
            assertThat(message)
                .isEqualTo(
                    "the certificate file "
                        + chain
                        + " contains 2 certificates; paird needs exactly one, the device's own"
                        + " self-signed certificate, not a chain"));
  }

  @Test
  void load_certificateFileWithPublicKeyToo_fails() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path withPublicKey = dir.resolve("cert-and-public.pem");
    String publicKey = OpenSslCli.run("pkey", "-in", files.key().toString(), "-pubout");
    Files.writeString(withPublicKey, Files.readString(files.cert()) + publicKey);

    assertInvalid(
        () -> DeviceIdentity.load(withPublicKey, files.key()),
        message ->
            assertThat(message)
                .contains(withPublicKey + " contains a public key besides the certificate"));
  }

  @Test
  void load_certificateGivenAsKey_fails() {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);

    assertInvalid(
        () -> DeviceIdentity.load(files.cert(), files.cert()),
        message ->
            assertThat(message)
                .startsWith(
                    "the key file " + files.cert() + " contains a certificate, not a private key"));
  }

  @Test
  void load_keyFileWithTwoKeys_fails() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path other = OpenSslCli.newKey(dir, "other", KeyType.EC_P256);
    Path twoKeys = dir.resolve("two.pem");
    OpenSslCli.privateFile(
        Files.writeString(twoKeys, Files.readString(files.key()) + Files.readString(other)));

    assertInvalid(
        () -> DeviceIdentity.load(files.cert(), twoKeys),
        message -> assertThat(message).contains(twoKeys + " contains 2 private keys"));
  }

  @Test
  void load_garbageInsideCertificateBlock_failsNamingTheFile() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path garbage = dir.resolve("garbage.pem");
    Files.writeString(
        garbage,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");

    assertInvalid(
        () -> DeviceIdentity.load(garbage, files.key()),
        message ->
            assertThat(message)
                .startsWith("cannot read the certificate file " + garbage + ": block 1"));
  }

  @Test
  void load_missingCertificateFile_failsNamingIt() {
    Path key = OpenSslCli.newKey(dir, "device", KeyType.EC_P256);
    Path missing = dir.resolve("missing.pem");

    assertInvalid(
        () -> DeviceIdentity.load(missing, key),
        message ->
            assertThat(message)
                .isEqualTo(
                    "the certificate file "
                        + missing
                        + " does not exist; check the path configured for it"));
  }

  @ParameterizedTest
  @CsvSource({"rw-r--r--, 0644", "rw-rw-rw-, 0666", "rw-----w-, 0602"})
  void load_keyFileOthersCanUse_isRefusedNamingModeAndFix(String mode, String octal)
      throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString(mode));

    assertInvalid(
        () -> DeviceIdentity.load(files.cert(), files.key()),
        message ->
            assertThat(message)
                .startsWith("the key file " + files.key() + " can be ")
                .contains("by every user (mode " + octal + ")")
                .contains("`chmod 600 " + files.key() + "`"));
  }

  @Test
  void load_keyFileReadableByItsGroup_isUsed() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString("rw-r-----"));

    assertThat(DeviceIdentity.load(files.cert(), files.key()).fingerprint())
        .isEqualTo(OpenSslCli.fingerprint(files.cert()));
  }

  @Test
  void load_keyFileReadableByAnotherGroup_isUsedWithAWarningNamingIt() throws Exception {
    assumeTrue(Files.getAttribute(dir, "unix:uid").equals(0), "needs root to change the group");
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Files.setAttribute(
        files.key(),
        "posix:group",
        dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("nogroup"));
    Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString("rw-r-----"));
    List<String> warnings = warningsLoading(files);

    assertThat(warnings)
        .singleElement()
        .asString()
        .startsWith(
            "the key file " + files.key() + " is readable by the group nogroup (mode 0640)");
  }

  /** paird's own group is, by default, the control socket's too: its members use pairctl. */
  @Test
  void load_keyFileReadableByPairdsOwnGroup_isUsedWithAWarningToo() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Files.setPosixFilePermissions(files.key(), PosixFilePermissions.fromString("rw-r-----"));
    String group =
        Files.readAttributes(files.key(), java.nio.file.attribute.PosixFileAttributes.class)
            .group()
            .getName();
    List<String> warnings = warningsLoading(files);

    assertThat(warnings)
        .singleElement()
        .asString()
        .startsWith(
            "the key file " + files.key() + " is readable by the group " + group + " (mode 0640)")
        .contains("`chmod 600 " + files.key() + "`");
  }

  /** What PemFiles logs while the identity in {@code files} is loaded. */
  private static List<String> warningsLoading(SelfSigned files) throws Exception {
    ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(PemFiles.class);
    warnings.start();
    logger.addAppender(warnings);
    try {
      DeviceIdentity.load(files.cert(), files.key());
    } finally {
      logger.detachAppender(warnings);
    }
    return warnings.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void load_missingKeyFile_failsNamingIt() {
    Path cert = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256).cert();
    Path missing = dir.resolve("missing.pem");

    assertInvalid(
        () -> DeviceIdentity.load(cert, missing),
        message ->
            assertThat(message)
                .isEqualTo(
                    "the key file "
                        + missing
                        + " does not exist; check the path configured for it"));
  }

  @Test
  void load_directoryAsCertificate_fails() {
    Path key = OpenSslCli.newKey(dir, "device", KeyType.EC_P256);

    assertInvalid(
        () -> DeviceIdentity.load(dir, key),
        message -> assertThat(message).contains(dir + " is a directory"));
  }

  @Test
  void load_hugeFile_failsWithoutParsingIt() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path huge = dir.resolve("huge.pem");
    byte[] filler = new byte[PemFiles.MAX_FILE_BYTES + 1];
    java.util.Arrays.fill(filler, (byte) 'A');
    Files.write(huge, filler);

    assertInvalid(
        () -> DeviceIdentity.load(huge, files.key()),
        message -> assertThat(message).contains(huge + " is larger than"));
  }

  @Test
  void load_textThatIsNotPem_failsSayingNoPemData() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    Path text = dir.resolve("notes.txt");
    Files.write(text, "just some text\n\u00e9\n".getBytes(StandardCharsets.UTF_8));

    assertInvalid(
        () -> DeviceIdentity.load(text, files.key()),
        message -> assertThat(message).contains(text + " contains no PEM data"));
  }

  private static void assertInvalid(ThrowingCallable call, Consumer<String> message) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            PairdException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.IDENTITY_INVALID);
              message.accept(e.getMessage());
            });
  }
}
