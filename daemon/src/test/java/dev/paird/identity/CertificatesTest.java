package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import dev.paird.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

final class CertificatesTest {
  @TempDir Path dir;

  @Test
  void fingerprint_ofCertificateAndOfDer_isOpensslsSha256() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    X509Certificate cert = Certificates.parsePem(Files.readString(files.cert()));

    String expected = OpenSslCli.fingerprint(files.cert());

    assertThat(Certificates.fingerprint(cert)).isEqualTo(expected).matches("[0-9a-f]{64}");
    assertThat(Certificates.fingerprint(cert.getEncoded())).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"EC_P256", "RSA_2048"})
  void spkiPin_isTheSha256OfThePublicKeyAsOpensslComputesIt(KeyType type) throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", type);
    X509Certificate cert = Certificates.parsePem(Files.readString(files.cert()));
    // curl's documented recipe for a --pinnedpubkey value.
    Processes.Result openssl =
        Processes.run(
            "sh",
            "-c",
            "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der"
                + " | openssl dgst -sha256 -binary | base64",
            "sh",
            files.cert().toString());

    assertThat(openssl.exitStatus()).as(openssl.output()).isZero();
    assertThat(Certificates.spkiPin(cert)).isEqualTo("sha256//" + openssl.output().strip());
  }

  /**
   * INTEGRATION.md, "Certificates that may sign": what OpenSSL makes by default (CA:TRUE) and a
   * version 1 certificate may sign; one that says CA:FALSE, or whose keyUsage lacks keyCertSign, as
   * paird's own generated certificates do, may not.
   */
  @Test
  void maySign_followsBasicConstraintsAndKeyUsage() throws Exception {
    Path key = OpenSslCli.newKey(dir, "device", KeyType.EC_P256);

    assertThat(maySign(key, "ca-default")).isTrue();
    assertThat(maySign(key, "not-ca", "-addext", "basicConstraints=critical,CA:FALSE")).isFalse();
    assertThat(maySign(key, "no-certsign", "-addext", "keyUsage=critical,digitalSignature"))
        .isFalse();
    Path v1 = dir.resolve("v1.pem");
    Processes.Result made =
        Processes.run(
            "sh",
            "-c",
            "openssl req -new -key \"$1\" -subj /CN=v1 | openssl x509 -req -signkey \"$1\""
                + " -days 1 -out \"$2\"",
            "sh",
            key.toString(),
            v1.toString());
    assertThat(made.exitStatus()).as(made.output()).isZero();
    X509Certificate version1 = Certificates.parsePem(Files.readString(v1));
    assertThat(version1.getVersion()).isEqualTo(1);
    assertThat(Certificates.maySign(Certificates.der(version1))).isTrue();

    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
    generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    X509Certificate generated =
        SelfSignedCertificates.create(
            generator.generateKeyPair(),
            "device",
            HostNames.of("device", java.util.List.of()),
            java.time.Instant.now(),
            java.time.Instant.now().plusSeconds(3600),
            new java.security.SecureRandom());
    assertThat(Certificates.maySign(Certificates.der(generated))).isFalse();
  }

  private boolean maySign(Path key, String name, String... options) throws Exception {
    Path cert = OpenSslCli.selfSign(dir, name, key, "/CN=" + name, java.util.List.of(options));
    return Certificates.maySign(Certificates.der(Certificates.parsePem(Files.readString(cert))));
  }

  @Test
  void toPem_isWhatOpensslWrites() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.RSA_2048);
    String pem = Files.readString(files.cert());

    assertThat(Certificates.toPem(Certificates.parsePem(pem))).isEqualTo(pem);
  }

  @Test
  void parsePem_otherLayoutOfTheSameBlock_readsTheSameCertificate() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    String pem = Files.readString(files.cert());
    String base64 =
        pem.replace("-----BEGIN CERTIFICATE-----", "")
            .replace("-----END CERTIFICATE-----", "")
            .replace("\n", "");
    String relaid =
        "-----BEGIN CERTIFICATE-----\r\n"
            + base64.substring(0, 50)
            + "\r\n"
            + base64.substring(50)
            + "\r\n-----END CERTIFICATE-----\r\n";

    assertThat(Certificates.parsePem(relaid)).isEqualTo(Certificates.parsePem(pem));
  }

  @Test
  void parsePem_textAroundTheBlock_readsTheCertificate() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    String pem = Files.readString(files.cert());

    assertThat(Certificates.parsePem("subject=CN=device\n" + pem + "\n"))
        .isEqualTo(Certificates.parsePem(pem));
  }

  @Test
  void fromDer_opensslDer_equalsPemCertificate() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P384);
    Path der = dir.resolve("cert.der");
    OpenSslCli.run(
        "x509", "-in", files.cert().toString(), "-outform", "der", "-out", der.toString());

    X509Certificate cert = Certificates.fromDer(Files.readAllBytes(der));

    assertThat(Certificates.fingerprint(cert)).isEqualTo(OpenSslCli.fingerprint(files.cert()));
  }

  @Test
  void fromDer_trailingBytes_fails() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    byte[] der = Certificates.parsePem(Files.readString(files.cert())).getEncoded();
    byte[] longer = Arrays.copyOf(der, der.length + 3);

    assertThatThrownBy(() -> Certificates.fromDer(longer))
        .isInstanceOf(CertificateException.class)
        .hasMessage("3 bytes follow the certificate's DER encoding");
  }

  @Test
  void fromDer_pemText_fails() throws Exception {
    SelfSigned files = OpenSslCli.newSelfSigned(dir, "device", KeyType.EC_P256);
    byte[] pem = Files.readAllBytes(files.cert());

    assertThatThrownBy(() -> Certificates.fromDer(pem))
        .isInstanceOf(CertificateException.class)
        .hasMessage("not a DER-encoded certificate: it must start with 0x30");
  }

  @Test
  void fromDer_garbage_fails() {
    assertThatThrownBy(() -> Certificates.fromDer(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void subject_isRfc2253_mostSignificantLast() throws Exception {
    Path key = OpenSslCli.newKey(dir, "device", KeyType.EC_P256);
    Path cert = OpenSslCli.selfSign(dir, "device", key, "/O=Example, Inc./CN=kitchen pi");

    X509Certificate parsed = Certificates.parsePem(Files.readString(cert));

    assertThat(Certificates.subject(parsed)).isEqualTo("CN=kitchen pi,O=Example\\, Inc.");
  }

  @Test
  void parsePem_noPemBlock_fails() {
    assertThatThrownBy(() -> Certificates.parsePem("hello\n"))
        .isInstanceOf(CertificateException.class)
        .hasMessage("no PEM block (-----BEGIN CERTIFICATE-----) found");
  }

  @Test
  void parsePem_twoCertificates_fails() throws Exception {
    String one = Files.readString(OpenSslCli.newSelfSigned(dir, "one", KeyType.EC_P256).cert());
    String two = Files.readString(OpenSslCli.newSelfSigned(dir, "two", KeyType.EC_P256).cert());

    assertThatThrownBy(() -> Certificates.parsePem(one + two))
        .isInstanceOf(CertificateException.class)
        .hasMessage("2 PEM blocks where exactly one certificate was expected");
  }

  @Test
  void parsePem_privateKey_fails() throws Exception {
    String key = Files.readString(OpenSslCli.newKey(dir, "device", KeyType.EC_P256));

    assertThatThrownBy(() -> Certificates.parsePem(key))
        .isInstanceOf(CertificateException.class)
        .hasMessage("a private key where a certificate was expected");
  }

  @Test
  void parsePem_garbageInBlock_fails() {
    String garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";

    assertThatThrownBy(() -> Certificates.parsePem(garbage))
        .isInstanceOf(CertificateException.class)
        .hasMessageStartingWith("block 1 is not valid PEM");
  }
}
