package dev.paird.net;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.identity.DeviceIdentity;
import dev.paird.protocol.PairingProtocol;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import org.slf4j.LoggerFactory;

/**
 * The two TLS contexts of the pairing port, built once at start-up from the device identity: TLS
 * 1.3 only, BoringSSL (netty-tcnative) only, mutual authentication, ALPN {@code paird/1}.
 */
public final class TlsContexts {
  private static final String TLS13 = "TLSv1.3";

  private final SslContext server;
  private final SslContext client;

  private TlsContexts(SslContext server, SslContext client) {
    this.server = server;
    this.client = client;
  }

  /**
   * Builds both contexts.
   *
   * @throws PairdException if BoringSSL cannot be loaded (there is no fallback to the JDK's TLS:
   *     the daemon must not silently run on another TLS implementation) or the identity is not
   *     usable for TLS
   */
  public static TlsContexts create(DeviceIdentity identity) throws PairdException {
    if (!OpenSsl.isAvailable()) {
      Throwable cause = OpenSsl.unavailabilityCause();
      // The cause's own text goes to the log, not into the message a user reads.
      LoggerFactory.getLogger(TlsContexts.class).error("BoringSSL cannot be loaded", cause);
      throw new PairdException(
          ErrorCode.INTERNAL,
          "cannot load BoringSSL (netty-tcnative) for the pairing port; paird supports Linux on"
              + " x86_64 and aarch64 with glibc, with the package's native libraries in"
              + " /usr/lib/paird/native or a java.io.tmpdir where files may be executed;"
              + " the log names the cause",
          cause);
    }
    ApplicationProtocolConfig alpn =
        new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            PairingProtocol.ALPN);
    try {
      KeyManagerFactory keys = keyManagers(identity);
      SslContext server =
          SslContextBuilder.forServer(keys)
              .sslProvider(SslProvider.OPENSSL)
              .protocols(TLS13)
              .clientAuth(ClientAuth.REQUIRE)
              .trustManager(PairingTrustManager.INSTANCE)
              .applicationProtocolConfig(alpn)
              .build();
      SslContext client =
          SslContextBuilder.forClient()
              .sslProvider(SslProvider.OPENSSL)
              .protocols(TLS13)
              .keyManager(keys)
              .trustManager(PairingTrustManager.INSTANCE)
              // Devices are addressed by IP or by whatever name the user typed; the certificate is
              // judged by the protocol, not by its names.
              .endpointIdentificationAlgorithm(null)
              .applicationProtocolConfig(alpn)
              .build();
      withoutResumption(server);
      withoutResumption(client);
      return new TlsContexts(server, client);
    } catch (SSLException e) {
      throw new PairdException(
          ErrorCode.IDENTITY_INVALID,
          "cannot use the device identity for TLS: " + e.getMessage(),
          e);
    }
  }

  /**
   * The identity's key and certificate for both contexts, turned into BoringSSL's form once and
   * kept ({@link OpenSslCachingX509KeyManagerFactory}) instead of at every handshake.
   *
   * <p>The store in between is an in-memory JKS store. Given the key and certificate directly,
   * Netty puts them in a PKCS#12 store, whose key protection is 10,000 rounds of PBKDF2 when the
   * key goes in and again when it comes out: about 60 ms per context at each start. JKS protects a
   * key with a cheap obfuscation, which is all a store that never leaves this process needs; the
   * key is in the process's memory either way.
   */
  private static KeyManagerFactory keyManagers(DeviceIdentity identity) throws SSLException {
    char[] noPassword = new char[0];
    try {
      KeyStore store = KeyStore.getInstance("JKS");
      store.load(null, null);
      store.setKeyEntry(
          "paird",
          identity.privateKey(),
          noPassword,
          new X509Certificate[] {identity.certificate()});
      KeyManagerFactory factory =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, noPassword);
      return new OpenSslCachingX509KeyManagerFactory(factory);
    } catch (GeneralSecurityException | IOException e) {
      // The JDK's text stays with the cause, for the log.
      throw new SSLException(
          "cannot hand the device's key to TLS: this Java runtime's key store refused it", e);
    }
  }

  /**
   * Turns off the session cache of {@code context}. With {@link #noTickets} on each connection that
   * rules out resumption: a resumed TLS 1.3 connection carries no Certificate or CertificateVerify,
   * and the pairing protocol binds every exchange to certificates proved on that very connection
   * (PROTOCOL.md §1), so every connection must be a full handshake.
   */
  private static void withoutResumption(SslContext context) {
    ((OpenSslSessionContext) context.sessionContext()).setSessionCacheEnabled(false);
  }

  /**
   * A TLS handler for one connection, with session tickets off: the server issues none and the
   * client offers none. Netty has this only as a JVM-wide property read once, so it is set on the
   * connection's own BoringSSL object.
   */
  private static SslHandler noTickets(SslHandler handler) {
    SSL.setOptions(
        ((ReferenceCountedOpenSslEngine) handler.engine()).sslPointer(), SSL.SSL_OP_NO_TICKET);
    return handler;
  }

  /** A handler for one accepted pairing connection. */
  public SslHandler newServerHandler(ByteBufAllocator alloc) {
    return noTickets(server.newHandler(alloc));
  }

  /** A handler for one outgoing pairing connection. */
  public SslHandler newClientHandler(ByteBufAllocator alloc) {
    return noTickets(client.newHandler(alloc));
  }

  public SslContext server() {
    return server;
  }

  public SslContext client() {
    return client;
  }
}
