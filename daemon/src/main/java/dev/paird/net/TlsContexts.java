package dev.paird.net;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.identity.DeviceIdentity;
import dev.paird.protocol.PairingProtocol;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/**
 * The two TLS contexts of the pairing port, built once at start-up from the device identity:
 * TLS 1.3 only, BoringSSL (netty-tcnative) only, mutual authentication, ALPN {@code paird/1}.
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
      throw new PairdException(ErrorCode.INTERNAL,
          "cannot load BoringSSL (netty-tcnative) for the pairing port: "
              + (cause == null ? "unknown reason" : cause.getMessage())
              + "; paird supports Linux on x86_64 and aarch64 with glibc", cause);
    }
    ApplicationProtocolConfig alpn = new ApplicationProtocolConfig(
        ApplicationProtocolConfig.Protocol.ALPN,
        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
        PairingProtocol.ALPN);
    try {
      SslContext server = SslContextBuilder.forServer(identity.privateKey(), identity.certificate())
          .sslProvider(SslProvider.OPENSSL)
          .protocols(TLS13)
          .clientAuth(ClientAuth.REQUIRE)
          .trustManager(PairingTrustManager.INSTANCE)
          .applicationProtocolConfig(alpn)
          .build();
      SslContext client = SslContextBuilder.forClient()
          .sslProvider(SslProvider.OPENSSL)
          .protocols(TLS13)
          .keyManager(identity.privateKey(), identity.certificate())
          .trustManager(PairingTrustManager.INSTANCE)
          // Devices are addressed by IP or by whatever name the user typed; the certificate is
          // judged by the protocol, not by its names.
          .endpointIdentificationAlgorithm(null)
          .applicationProtocolConfig(alpn)
          .build();
      return new TlsContexts(server, client);
    } catch (SSLException e) {
      throw new PairdException(ErrorCode.IDENTITY_INVALID,
          "cannot use the device identity for TLS: " + e.getMessage(), e);
    }
  }

  public SslContext server() {
    return server;
  }

  public SslContext client() {
    return client;
  }
}
