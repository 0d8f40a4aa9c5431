package dev.paird.net;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.identity.DeviceIdentity;
import dev.paird.protocol.PairingProtocol;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import javax.net.ssl.SSLException;

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
      throw new PairdException(
          ErrorCode.INTERNAL,
          "cannot load BoringSSL (netty-tcnative) for the pairing port: "
              + (cause == null ? "unknown reason" : cause.getMessage())
              + "; paird supports Linux on x86_64 and aarch64 with glibc",
          cause);
    }
    ApplicationProtocolConfig alpn =
        new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            PairingProtocol.ALPN);
    try {
      SslContext server =
          SslContextBuilder.forServer(identity.privateKey(), identity.certificate())
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
              .keyManager(identity.privateKey(), identity.certificate())
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
