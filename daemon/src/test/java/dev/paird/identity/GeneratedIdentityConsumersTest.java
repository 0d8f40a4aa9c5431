package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.testing.OpenSslCli;
import dev.paird.testing.Processes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated identity is accepted as a self-signed trust anchor, with host-name checks, by the
 * software that reads paird's trusted list: OpenSSL ({@code openssl verify}) and Java's PKIX
 * validation and HTTPS host-name check (in a real handshake over loopback).
 */
final class GeneratedIdentityConsumersTest {
  // The real time on purpose: openssl and the JDK check validity against their own clocks.
  @SuppressWarnings("TimeInStaticInitializer")
  private static final Clock CLOCK = Clock.fixed(Instant.now(), ZoneOffset.UTC);

  private static final long TIMEOUT_SECONDS = 30;

  @TempDir Path dir;
  private final SecureRandom random = new SecureRandom();
  private final ExecutorService server = Executors.newSingleThreadExecutor();

  @AfterEach
  void stopServer() {
    server.shutdownNow();
  }

  private DeviceIdentity generate(String name, String... addresses) throws Exception {
    return DeviceIdentity.loadOrGenerate(
        Files.createDirectories(dir.resolve(name + "-" + random.nextInt(1 << 20))),
        name,
        List.of(addresses),
        random,
        CLOCK);
  }

  @Test
  void loadOrGenerate_namesTheHostAndItsAddressesAsSubjectAltNames() throws Exception {
    X509Certificate certificate =
        generate("Kitchen-Pi", "192.0.2.7", "[2001:db8::7]", "not-an-address").certificate();

    List<String> names = new ArrayList<>();
    for (List<?> name : certificate.getSubjectAlternativeNames()) {
      names.add(name.get(0) + ":" + name.get(1));
    }
    assertThat(names)
        .containsExactly(
            "2:kitchen-pi", "2:kitchen-pi.local", "7:192.0.2.7", "7:2001:db8:0:0:0:0:0:7");
    assertThat(certificate.getNonCriticalExtensionOIDs())
        .contains("2.5.29.17", "2.5.29.14", "2.5.29.35"); // SAN, SKI, AKI
  }

  @Test
  void opensslVerify_withTheHostsNames_acceptsAndRefusesOtherNames() throws Exception {
    Path pem = pem(generate("kitchen-pi", "192.0.2.7").certificate());

    assertThat(opensslVerify(pem, pem, "-verify_hostname", "kitchen-pi")).isTrue();
    assertThat(opensslVerify(pem, pem, "-verify_hostname", "kitchen-pi.local")).isTrue();
    assertThat(opensslVerify(pem, pem, "-verify_ip", "192.0.2.7")).isTrue();
    assertThat(opensslVerify(pem, pem, "-purpose", "sslserver")).isTrue();
    assertThat(opensslVerify(pem, pem, "-purpose", "sslclient")).isTrue();
    assertThat(opensslVerify(pem, pem, "-verify_hostname", "other-pi")).isFalse();
    assertThat(opensslVerify(pem, pem, "-verify_ip", "192.0.2.8")).isFalse();
  }

  @Test
  void opensslVerify_twoDevicesWithOneName_acceptsBothFromOneBundle() throws Exception {
    Path one = pem(generate("raspberrypi").certificate());
    Path two = pem(generate("raspberrypi").certificate());
    Path bundle = dir.resolve("bundle.pem");
    Files.writeString(bundle, Files.readString(one) + Files.readString(two));

    assertThat(opensslVerify(bundle, one)).isTrue();
    assertThat(opensslVerify(bundle, two)).isTrue();
  }

  @Test
  void javaPkix_withTheCertificateAsAnchor_validates() throws Exception {
    X509Certificate certificate = generate("kitchen-pi").certificate();
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(certificate, null)));
    parameters.setRevocationEnabled(false);

    CertPathValidator.getInstance("PKIX")
        .validate(
            CertificateFactory.getInstance("X.509").generateCertPath(List.of(certificate)),
            parameters);
  }

  @Test
  void javaHttpsHandshake_checksTheHostNameAgainstTheSubjectAltNames() throws Exception {
    DeviceIdentity identity = generate("kitchen-pi");

    assertThat(handshake(identity, "kitchen-pi")).isTrue();
    assertThat(handshake(identity, "kitchen-pi.local")).isTrue();
    assertThat(handshake(identity, "other-pi")).isFalse();
  }

  @Test
  void load_suppliedCertificate_staysByteForByte() throws Exception {
    OpenSslCli.SelfSigned supplied =
        OpenSslCli.newSelfSigned(dir, "supplied", OpenSslCli.KeyType.EC_P256);

    DeviceIdentity identity = DeviceIdentity.load(supplied.cert(), supplied.key());

    assertThat(identity.certificate().getEncoded())
        .isEqualTo(Certificates.parsePem(Files.readString(supplied.cert())).getEncoded());
    assertThat(identity.certificate().getSubjectAlternativeNames()).isNull();
  }

  @Test
  void hostNames_keepOnlyValidDnsNamesAndLiterals() {
    assertThat(HostNames.of("pi.example.org", List.of()).dnsNames())
        .containsExactly("pi.example.org");
    assertThat(HostNames.of("my_pi", List.of("localhost")).isEmpty()).isTrue();
    HostNames literal = HostNames.of("10.0.0.1", List.of("10.0.0.1"));
    assertThat(literal.dnsNames()).isEmpty();
    assertThat(literal.addresses()).hasSize(1);
  }

  private Path pem(X509Certificate certificate) throws IOException {
    Path file = Files.createTempFile(dir, "cert", ".pem");
    Files.writeString(file, Certificates.toPem(certificate));
    return file;
  }

  private static boolean opensslVerify(Path trusted, Path certificate, String... options) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "openssl", "verify", "-no-CApath", "-no-CAstore", "-CAfile", trusted.toString()));
    command.addAll(List.of(options));
    command.add(certificate.toString());
    return Processes.run(command).exitStatus() == 0;
  }

  /**
   * Whether a Java client that trusts exactly the identity's certificate and checks host names as
   * HTTPS does completes a TLS handshake with a server using it, reaching it as {@code host}.
   */
  private boolean handshake(DeviceIdentity identity, String host) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    char[] password = "test".toCharArray();
    keys.setKeyEntry(
        "device", identity.privateKey(), password, new X509Certificate[] {identity.certificate()});
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance("PKIX");
    keyManagers.init(keys, password);
    SSLContext serverContext = SSLContext.getInstance("TLSv1.3");
    serverContext.init(keyManagers.getKeyManagers(), null, random);

    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("peer", identity.certificate());
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance("PKIX");
    trustManagers.init(anchors);
    SSLContext clientContext = SSLContext.getInstance("TLSv1.3");
    clientContext.init(null, trustManagers.getTrustManagers(), random);

    try (SSLServerSocket listener =
        (SSLServerSocket)
            serverContext
                .getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Future<?> accepted =
          server.submit(
              () -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                  socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
                  socket.startHandshake();
                } catch (IOException e) {
                  // The client refused the certificate; the client side reports it.
                }
                return null;
              });
      Socket plain = new Socket();
      plain.connect(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()),
          (int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
      try (SSLSocket client =
          (SSLSocket)
              clientContext
                  .getSocketFactory()
                  .createSocket(plain, host, listener.getLocalPort(), true)) {
        client.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        SSLParameters parameters = client.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        client.setSSLParameters(parameters);
        client.startHandshake();
        return true;
      } catch (SSLHandshakeException e) {
        return false;
      } finally {
        accepted.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      }
    }
  }
}
