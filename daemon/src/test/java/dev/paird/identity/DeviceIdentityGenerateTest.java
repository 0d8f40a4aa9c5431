package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.testing.OpenSslCli;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

final class DeviceIdentityGenerateTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir Path stateDir;
  private final SecureRandom random = new SecureRandom();

  @Test
  void loadOrGenerate_emptyStateDir_writesPrivateKeyThenPublicCertificate() throws Exception {
    DeviceIdentity identity = DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK);

    Path directory = stateDir.resolve("identity");
    Path cert = directory.resolve("cert.pem");
    Path key = directory.resolve("key.pem");
    assertThat(mode(directory)).isEqualTo("rwx------");
    assertThat(mode(key)).isEqualTo("rw-------");
    assertThat(mode(cert)).isEqualTo("rw-r--r--");
    assertThat(OpenSslCli.firstLine(key)).isEqualTo("-----BEGIN PRIVATE KEY-----");
    assertThat(identity.keyType()).isEqualTo("EC P-256");
    assertThat(identity.subject()).isEqualTo("CN=kitchen-pi");
    assertThat(identity.fingerprint()).isEqualTo(OpenSslCli.fingerprint(cert));
    // openssl reads the key and agrees it belongs to the certificate.
    assertThat(OpenSslCli.run("pkey", "-in", key.toString(), "-pubout"))
        .isEqualTo(OpenSslCli.run("x509", "-in", cert.toString(), "-noout", "-pubkey"));
    try (var entries = Files.list(directory)) {
      assertThat(entries).containsExactlyInAnyOrder(cert, key);
    }
  }

  @Test
  void loadOrGenerate_generatedCertificate_isSelfSignedEndEntityForBothEnds() throws Exception {
    X509Certificate cert =
        DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK).certificate();

    assertThat(cert.getVersion()).isEqualTo(3);
    assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
    assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
    cert.verify(cert.getPublicKey());
    assertThat(cert.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofDays(1)));
    assertThat(cert.getNotAfter().toInstant()).isEqualTo(Instant.parse("2126-03-01T12:00:00Z"));
    BigInteger serial = cert.getSerialNumber();
    assertThat(serial.signum()).isEqualTo(1);
    assertThat(serial.bitLength()).isLessThanOrEqualTo(128);
    assertThat(cert.getBasicConstraints()).as("not a CA").isEqualTo(-1);
    assertThat(cert.getCriticalExtensionOIDs())
        .containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15"); // basicConstraints, keyUsage
    assertThat(cert.getKeyUsage())
        .containsExactly(true, false, false, false, false, false, false, false, false);
    assertThat(cert.getExtendedKeyUsage())
        .containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"); // serverAuth, clientAuth
    assertThat(cert.getExtensionValue("2.5.29.14")).as("subjectKeyIdentifier").isNotNull();
  }

  @Test
  void loadOrGenerate_twoDevices_getDifferentKeysAndSerials() throws Exception {
    DeviceIdentity one = DeviceIdentity.loadOrGenerate(stateDir.resolve("one"), "a", random, CLOCK);
    DeviceIdentity two = DeviceIdentity.loadOrGenerate(stateDir.resolve("two"), "a", random, CLOCK);

    assertThat(one.fingerprint()).isNotEqualTo(two.fingerprint());
    assertThat(one.certificate().getSerialNumber())
        .isNotEqualTo(two.certificate().getSerialNumber());
    assertThat(one.certificate().getPublicKey()).isNotEqualTo(two.certificate().getPublicKey());
  }

  @Test
  void loadOrGenerate_secondStart_loadsSameIdentityWithoutWriting() throws Exception {
    DeviceIdentity first = DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK);
    Path cert = stateDir.resolve("identity/cert.pem");
    Path key = stateDir.resolve("identity/key.pem");
    byte[] certBytes = Files.readAllBytes(cert);
    byte[] keyBytes = Files.readAllBytes(key);
    Object certFile = Files.readAttributes(cert, "unix:ino").get("ino");
    Object keyFile = Files.readAttributes(key, "unix:ino").get("ino");
    FileTime certModified = Files.getLastModifiedTime(cert);
    FileTime keyModified = Files.getLastModifiedTime(key);
    Clock later = Clock.offset(CLOCK, Duration.ofDays(400));

    DeviceIdentity second = DeviceIdentity.loadOrGenerate(stateDir, "renamed-pi", random, later);

    assertThat(second.fingerprint()).isEqualTo(first.fingerprint());
    assertThat(second.subject()).isEqualTo("CN=kitchen-pi");
    assertThat(second.privateKey().getEncoded()).isEqualTo(first.privateKey().getEncoded());
    assertThat(Files.readAllBytes(cert)).isEqualTo(certBytes);
    assertThat(Files.readAllBytes(key)).isEqualTo(keyBytes);
    // An atomic rewrite would have replaced the inodes even with identical bytes.
    assertThat(Files.readAttributes(cert, "unix:ino").get("ino")).isEqualTo(certFile);
    assertThat(Files.readAttributes(key, "unix:ino").get("ino")).isEqualTo(keyFile);
    assertThat(Files.getLastModifiedTime(cert)).isEqualTo(certModified);
    assertThat(Files.getLastModifiedTime(key)).isEqualTo(keyModified);
  }

  @ParameterizedTest(name = "{0} lost")
  @ValueSource(strings = {"cert.pem", "key.pem"})
  void loadOrGenerate_halfIdentityLeft_refusesAndWritesNothing(String lost) throws Exception {
    DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK);
    Path missing = stateDir.resolve("identity").resolve(lost);
    Path present =
        stateDir.resolve("identity").resolve(lost.equals("key.pem") ? "cert.pem" : "key.pem");
    byte[] presentBytes = Files.readAllBytes(present);
    Files.delete(missing);

    assertThatThrownBy(() -> DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK))
        .isInstanceOfSatisfying(
            PairdException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.IDENTITY_INVALID);
              assertThat(e.getMessage())
                  .startsWith(present + " exists but " + missing + " does not")
                  .contains("never replaces half an identity")
                  .contains("Restore " + missing + " from a backup");
            });
    assertThat(Files.readAllBytes(present)).isEqualTo(presentBytes);
    assertThat(Files.exists(missing, LinkOption.NOFOLLOW_LINKS)).isFalse();
    try (var entries = Files.list(stateDir.resolve("identity"))) {
      assertThat(entries).containsExactly(present);
    }
  }

  @Test
  void loadOrGenerate_keySwappedForAnotherDevices_failsAsLoadDoes() throws Exception {
    DeviceIdentity.loadOrGenerate(stateDir.resolve("one"), "one", random, CLOCK);
    DeviceIdentity.loadOrGenerate(stateDir.resolve("two"), "two", random, CLOCK);
    Path key = stateDir.resolve("one/identity/key.pem");
    Files.copy(
        stateDir.resolve("two/identity/key.pem"),
        key,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(
            () -> DeviceIdentity.loadOrGenerate(stateDir.resolve("one"), "one", random, CLOCK))
        .isInstanceOfSatisfying(
            PairdException.class,
            e ->
                assertThat(e.getMessage())
                    .startsWith("the private key in " + key + " does not match"));
  }

  @Test
  void loadOrGenerate_leftoverTemporaryFiles_areRemoved() throws Exception {
    Path directory = Files.createDirectory(stateDir.resolve("identity"));
    Path leftover = Files.createFile(directory.resolve(".key.pem.tmp-0123456789ab"));

    DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK);

    assertThat(leftover).doesNotExist();
  }

  /** What a crash between the two files' writes leaves: the staging directory, never identity/. */
  @Test
  void loadOrGenerate_afterACrashMidGeneration_generatesAgainAndRemovesTheStaging()
      throws Exception {
    Path staging = Files.createDirectory(stateDir.resolve("identity.new"));
    Files.writeString(staging.resolve("key.pem"), "a key whose certificate was never written\n");
    Files.createFile(staging.resolve(".cert.pem.tmp-0123456789ab"));

    DeviceIdentity identity = DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK);

    assertThat(staging).doesNotExist();
    assertThat(DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK).fingerprint())
        .isEqualTo(identity.fingerprint());
    try (var files = Files.list(stateDir.resolve("identity"))) {
      assertThat(files.map(file -> file.getFileName().toString()))
          .containsExactlyInAnyOrder("cert.pem", "key.pem");
    }
  }

  /** Whatever is in identity.new/ goes, links themselves and not what they point to. */
  @Test
  void loadOrGenerate_stagingWithASubdirectoryAndALink_isRemovedWithoutFollowingTheLink()
      throws Exception {
    Path staging = Files.createDirectory(stateDir.resolve("identity.new"));
    Files.writeString(
        Files.createDirectories(staging.resolve("sub/deeper")).resolve("x"), "left behind\n");
    Path outside =
        Files.writeString(
            stateDir.getParent().resolve(stateDir.getFileName() + ".keep"),
            "not paird's to delete\n");
    Files.createSymbolicLink(staging.resolve("link"), outside);
    Files.createSymbolicLink(staging.resolve("dirlink"), stateDir.getParent());

    try {
      DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK);

      assertThat(staging).doesNotExist();
      assertThat(outside).hasContent("not paird's to delete");
      assertThat(stateDir.resolve("identity/cert.pem")).isRegularFile();
    } finally {
      Files.deleteIfExists(outside);
    }
  }

  @Test
  void loadOrGenerate_identityDirectoryIsALink_failsSayingSo() throws Exception {
    Path elsewhere = Files.createDirectory(stateDir.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(stateDir.resolve("identity"), elsewhere);

    assertRefusedAsALink(link);
    try (var files = Files.list(elsewhere)) {
      assertThat(files).isEmpty();
    }
  }

  /** A link to a directory holding a whole identity is refused too, not loaded through it. */
  @Test
  void loadOrGenerate_identityDirectoryIsALinkToAnIdentity_failsSayingSo() throws Exception {
    DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK);
    Path elsewhere = Files.move(stateDir.resolve("identity"), stateDir.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(stateDir.resolve("identity"), elsewhere);
    Path leftover = Files.writeString(elsewhere.resolve(".key.pem.tmp-000000000000"), "kept\n");

    assertRefusedAsALink(link);
    assertThat(leftover).hasContent("kept");
  }

  private void assertRefusedAsALink(Path link) {
    assertThatThrownBy(() -> DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK))
        .isInstanceOfSatisfying(
            PairdException.class,
            e ->
                assertThat(e.getMessage())
                    .startsWith(link + " is a symbolic link; paird does not follow links"));
  }

  /** An empty identity/, as a crash of a version that wrote the files in place could leave. */
  @Test
  void loadOrGenerate_emptyIdentityDirectory_isReplacedByTheNewIdentity() throws Exception {
    Files.createDirectory(stateDir.resolve("identity"));

    DeviceIdentity identity = DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK);

    assertThat(
            DeviceIdentity.load(
                    stateDir.resolve("identity/cert.pem"), stateDir.resolve("identity/key.pem"))
                .fingerprint())
        .isEqualTo(identity.fingerprint());
    assertThat(stateDir.resolve("identity.new")).doesNotExist();
  }

  @Test
  void loadOrGenerate_identityDirectoryWithOtherFiles_failsNamingIt_andTouchesThemNot()
      throws Exception {
    Path directory = Files.createDirectory(stateDir.resolve("identity"));
    Path other = Files.writeString(directory.resolve("notes.txt"), "mine\n");

    assertThatThrownBy(() -> DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK))
        .isInstanceOfSatisfying(
            PairdException.class,
            e ->
                assertThat(e.getMessage())
                    .isEqualTo(
                        "cannot write the new device identity to "
                            + directory
                            + ": it holds files other than cert.pem and key.pem; move them away"));
    assertThat(other).hasContent("mine");
    assertThat(stateDir.resolve("identity.new")).doesNotExist();
  }

  @Test
  void loadOrGenerate_identityPathIsAFile_failsNamingIt() throws Exception {
    Path notADirectory = Files.createFile(stateDir.resolve("identity"));

    assertThatThrownBy(() -> DeviceIdentity.loadOrGenerate(stateDir, "kitchen-pi", random, CLOCK))
        .isInstanceOfSatisfying(
            PairdException.class,
            e ->
                assertThat(e.getMessage())
                    .isEqualTo(
                        "cannot write the new device identity to "
                            + notADirectory
                            + ": not a directory"));
  }

  @Test
  void loadOrGenerate_nameLongerThanACommonName_failsBeforeWriting() {
    String name = "n".repeat(65);

    assertThatThrownBy(() -> DeviceIdentity.loadOrGenerate(stateDir, name, random, CLOCK))
        .isInstanceOfSatisfying(
            PairdException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.IDENTITY_INVALID);
              assertThat(e.getMessage()).contains("at most 64 characters, and this one has 65");
            });
    assertThat(stateDir.resolve("identity")).doesNotExist();
  }

  @Test
  void loadOrGenerate_nameWithSpecialCharacters_isEscapedInSubject() throws Exception {
    DeviceIdentity identity =
        DeviceIdentity.loadOrGenerate(stateDir, "lab, bench 2+3", random, CLOCK);

    assertThat(identity.subject()).isEqualTo("CN=lab\\, bench 2\\+3");
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }
}
