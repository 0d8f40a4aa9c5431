package dev.paird.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.paird.testing.LinkedChannels;
import dev.paird.testing.OpenSslCli;
import dev.paird.testing.OpenSslCli.KeyType;
import dev.paird.testing.OpenSslCli.SelfSigned;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every key type {@link DeviceIdentity} accepts completes a mutually authenticated TLS 1.3
 * handshake between two BoringSSL (netty-tcnative) engines, and the key types it refuses for TLS
 * reasons do not, for the reason its messages give.
 */
final class BoringSslHandshakeTest {
  /** TLS signature scheme code points (RFC 8446, section 4.2.3). */
  private static final int ECDSA_SECP256R1_SHA256 = 0x0403;

  private static final int ECDSA_SECP384R1_SHA384 = 0x0503;
  private static final int ECDSA_SECP521R1_SHA512 = 0x0603;
  private static final int RSA_PSS_RSAE_SHA256 = 0x0804;
  private static final int ED25519 = 0x0807;

  @TempDir Path dir;

  /** Where a test identity comes from. */
  enum Source {
    OPENSSL_EC_P256(KeyType.EC_P256),
    OPENSSL_EC_P384(KeyType.EC_P384),
    OPENSSL_RSA_2048(KeyType.RSA_2048),
    OPENSSL_RSA_3072(KeyType.RSA_3072),
    GENERATED(null);

    final KeyType opensslType;

    Source(KeyType opensslType) {
      this.opensslType = opensslType;
    }
  }

  @BeforeAll
  static void boringSslIsAvailable() {
    if (!OpenSsl.isAvailable()) {
      fail("netty-tcnative is not available", OpenSsl.unavailabilityCause());
    }
    assertThat(OpenSsl.versionString()).startsWith("BoringSSL");
  }

  @ParameterizedTest
  @EnumSource(Source.class)
  void handshake_sameKeyTypeBothSides_tls13WithEachSideSeeingTheOther(Source source)
      throws Exception {
    assertMutualTls13(identity(source, "alpha"), identity(source, "beta"));
  }

  static Stream<Arguments> mixedKeyTypes() {
    return Stream.of(
        Arguments.of(Source.GENERATED, Source.OPENSSL_RSA_2048),
        Arguments.of(Source.OPENSSL_RSA_2048, Source.OPENSSL_EC_P384),
        Arguments.of(Source.OPENSSL_EC_P384, Source.GENERATED));
  }

  @ParameterizedTest(name = "server {0}, client {1}")
  @MethodSource("mixedKeyTypes")
  void handshake_differentKeyTypesEachSide_completes(Source server, Source client)
      throws Exception {
    assertMutualTls13(identity(server, "alpha"), identity(client, "beta"));
  }

  /**
   * Ed25519 and P-521 fail even with a key manager that offers the key whatever the peer asks for:
   * BoringSSL's default verify preferences, which fill the ClientHello's and the
   * CertificateRequest's signature_algorithms, list neither scheme, and netty-tcnative has no call
   * that changes them (SSL_CTX_set_verify_algorithm_prefs is not exposed). If a netty-tcnative
   * upgrade makes this test fail, {@link KeyKind} may accept these keys.
   */
  @ParameterizedTest
  @EnumSource(
      value = KeyType.class,
      names = {"ED25519", "EC_P521"})
  void handshake_refusedKeyType_hasNoCommonSignatureAlgorithm(KeyType type) throws Exception {
    SelfSigned alpha = OpenSslCli.newSelfSigned(dir, "alpha", type);
    SelfSigned beta = OpenSslCli.newSelfSigned(dir, "beta", type);
    SslContext serverContext =
        serverBuilder(SslContextBuilder.forServer(new OneKeyManager(alpha))).build();
    SslContext clientContext = clientBuilder().keyManager(new OneKeyManager(beta)).build();

    try (Handshake handshake = new Handshake(serverContext, clientContext)) {
      handshake.run();

      assertThat(handshake.server.handshakeFuture().cause())
          .isInstanceOf(SSLException.class)
          .hasMessageContaining("NO_COMMON_SIGNATURE_ALGORITHMS");
      assertThat(handshake.client.handshakeFuture().cause()).isNotNull();
    }
  }

  /**
   * With the key manager Netty builds from a key and certificate, an Ed25519 server fails even
   * earlier: Netty picks the server key by the cipher suites' key types, RSA or EC, and an EdDSA
   * key is neither.
   */
  @Test
  void handshake_ed25519WithNettysOwnKeyManager_findsNoServerKey() throws Exception {
    SelfSigned alpha = OpenSslCli.newSelfSigned(dir, "alpha", KeyType.ED25519);
    SelfSigned beta = OpenSslCli.newSelfSigned(dir, "beta", KeyType.ED25519);
    OneKeyManager server = new OneKeyManager(alpha);
    OneKeyManager client = new OneKeyManager(beta);
    SslContext serverContext =
        serverBuilder(SslContextBuilder.forServer(server.key, server.certificate)).build();
    SslContext clientContext = clientBuilder().keyManager(client.key, client.certificate).build();

    try (Handshake handshake = new Handshake(serverContext, clientContext)) {
      handshake.run();

      assertThat(handshake.server.handshakeFuture().cause())
          .hasMessageContaining("Unable to find key material");
    }
  }

  @Test
  void clientHello_signatureAlgorithms_haveEcdsaP256P384AndRsaPssButNotEd25519OrP521()
      throws Exception {
    DeviceIdentity beta = identity(Source.GENERATED, "beta");
    SslContext clientContext =
        clientBuilder().keyManager(beta.privateKey(), beta.certificate()).build();
    EmbeddedChannel channel =
        new EmbeddedChannel(clientContext.newHandler(UnpooledByteBufAllocator.DEFAULT));
    ByteBuf firstFlight = Unpooled.buffer();
    try {
      for (ByteBuf record; (record = channel.readOutbound()) != null; ) {
        firstFlight.writeBytes(record);
        record.release();
      }

      assertThat(signatureAlgorithms(firstFlight))
          .contains(ECDSA_SECP256R1_SHA256, ECDSA_SECP384R1_SHA384, RSA_PSS_RSAE_SHA256)
          .doesNotContain(ED25519, ECDSA_SECP521R1_SHA512);
    } finally {
      firstFlight.release();
      channel.finishAndReleaseAll();
    }
  }

  private void assertMutualTls13(DeviceIdentity serverIdentity, DeviceIdentity clientIdentity)
      throws Exception {
    SslContext serverContext =
        serverBuilder(
                SslContextBuilder.forServer(
                    serverIdentity.privateKey(), serverIdentity.certificate()))
            .build();
    SslContext clientContext =
        clientBuilder()
            .keyManager(clientIdentity.privateKey(), clientIdentity.certificate())
            .build();

    try (Handshake handshake = new Handshake(serverContext, clientContext)) {
      handshake.run();

      assertSucceeded(handshake.server);
      assertSucceeded(handshake.client);
      assertThat(handshake.client.engine().getSession().getProtocol()).isEqualTo("TLSv1.3");
      assertThat(peerCertificate(handshake.client))
          .isEqualTo(serverIdentity.certificate().getEncoded());
      assertThat(peerCertificate(handshake.server))
          .isEqualTo(clientIdentity.certificate().getEncoded());
    }
  }

  private static SslContextBuilder serverBuilder(SslContextBuilder forServer) {
    return forServer
        .sslProvider(SslProvider.OPENSSL)
        .protocols("TLSv1.3")
        .clientAuth(ClientAuth.REQUIRE)
        .trustManager(InsecureTrustManagerFactory.INSTANCE);
  }

  private static SslContextBuilder clientBuilder() {
    return SslContextBuilder.forClient()
        .sslProvider(SslProvider.OPENSSL)
        .protocols("TLSv1.3")
        .trustManager(InsecureTrustManagerFactory.INSTANCE)
        // Devices pin certificates by fingerprint; their names are not host names.
        .endpointIdentificationAlgorithm(null);
  }

  private DeviceIdentity identity(Source source, String name) throws Exception {
    if (source == Source.GENERATED) {
      return DeviceIdentity.loadOrGenerate(
          dir.resolve(name), name, new SecureRandom(), Clock.systemUTC());
    }
    SelfSigned files = OpenSslCli.newSelfSigned(dir, name, source.opensslType);
    return DeviceIdentity.load(files.cert(), files.key());
  }

  private static void assertSucceeded(SslHandler handler) {
    assertThat(handler.handshakeFuture().isDone()).as("handshake finished").isTrue();
    Throwable cause = handler.handshakeFuture().cause();
    if (cause != null) {
      fail("handshake failed", cause);
    }
  }

  private static byte[] peerCertificate(SslHandler handler) throws Exception {
    var chain = handler.engine().getSession().getPeerCertificates();
    assertThat(chain).hasSize(1);
    return chain[0].getEncoded();
  }

  /** The signature_algorithms extension of the ClientHello at the start of {@code flight}. */
  private static List<Integer> signatureAlgorithms(ByteBuf flight) {
    ByteBuf in = flight.duplicate();
    assertThat((int) in.readUnsignedByte()).as("record type handshake").isEqualTo(22);
    in.skipBytes(2 + 2); // legacy record version, record length
    assertThat((int) in.readUnsignedByte()).as("handshake type client_hello").isEqualTo(1);
    in.skipBytes(3 + 2 + 32); // handshake length, legacy version, random
    in.skipBytes(in.readUnsignedByte()); // legacy session id
    in.skipBytes(in.readUnsignedShort()); // cipher suites
    in.skipBytes(in.readUnsignedByte()); // legacy compression methods
    ByteBuf extensions = in.readSlice(in.readUnsignedShort());
    while (extensions.isReadable()) {
      int type = extensions.readUnsignedShort();
      ByteBuf body = extensions.readSlice(extensions.readUnsignedShort());
      if (type == 13) {
        ByteBuf list = body.readSlice(body.readUnsignedShort());
        List<Integer> schemes = new ArrayList<>();
        while (list.isReadable()) {
          schemes.add(list.readUnsignedShort());
        }
        return schemes;
      }
    }
    throw new AssertionError("ClientHello without signature_algorithms");
  }

  /** A server and a client {@link SslHandler} back to back, without sockets. */
  private static final class Handshake implements AutoCloseable {
    final SslHandler server;
    final SslHandler client;
    private final LinkedChannels channels;

    Handshake(SslContext serverContext, SslContext clientContext) {
      server = serverContext.newHandler(UnpooledByteBufAllocator.DEFAULT);
      client = clientContext.newHandler(UnpooledByteBufAllocator.DEFAULT);
      // The client's channel is active at once and sends its ClientHello. A failed handshake
      // fails the SslHandler's handshake future, which the test inspects; its alert still goes
      // to the other side.
      channels = new LinkedChannels(new EmbeddedChannel(server), new EmbeddedChannel(client));
    }

    /** Moves records until neither side has any left to send. */
    void run() {
      channels.run();
    }

    @Override
    public void close() {
      channels.close();
    }
  }

  /**
   * A key manager that offers its one key and certificate whatever key type the engine asks for, to
   * take Netty's choice of key out of the question.
   */
  private static final class OneKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "device";
    final PrivateKey key;
    final X509Certificate certificate;

    OneKeyManager(SelfSigned files) throws Exception {
      // DeviceIdentity refuses these keys, so read them with the parser underneath it.
      List<PemBlock> blocks = PemBlocks.read(Files.readString(files.key()));
      this.key = ((PemBlock.Key) blocks.get(0)).key();
      this.certificate = Certificates.parsePem(Files.readString(files.cert()));
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
      return ALIAS;
    }

    @Override
    public String chooseEngineClientAlias(
        String[] keyTypes, Principal[] issuers, SSLEngine engine) {
      return ALIAS;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return ALIAS;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return ALIAS;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return new X509Certificate[] {certificate};
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return key;
    }
  }
}
