package dev.paird.net;

import dev.paird.api.PairdException;
import dev.paird.api.Printable;
import dev.paird.protocol.KeyLedger;
import dev.paird.protocol.ServerSession;
import dev.paird.protocol.SessionCertificates;
import dev.paird.protocol.Step;
import dev.paird.trust.TrustPersister;
import dev.paird.trust.TrustedPeer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the pipeline of one incoming pairing connection. */
final class PairingServerInitializer extends ChannelInitializer<SocketChannel> {
  private static final Logger log = LoggerFactory.getLogger("paird.pairing");

  private final Connections connections;
  private final AdmissionHandler admission;
  private final TlsContexts tls;
  private final PairingServer.Settings settings;
  private final KeyLedger keys;
  private final TrustPersister persister;
  private final SecureRandom random;

  PairingServerInitializer(
      Connections connections,
      AdmissionHandler admission,
      TlsContexts tls,
      PairingServer.Settings settings,
      KeyLedger keys,
      TrustPersister persister,
      SecureRandom random) {
    this.connections = connections;
    this.admission = admission;
    this.tls = tls;
    this.settings = settings;
    this.keys = keys;
    this.persister = persister;
    this.random = random;
  }

  @Override
  protected void initChannel(SocketChannel channel) {
    // First and alone: per-source rate, per-source and total connection counts. The rest of the
    // pipeline, TLS included, is built only for an admitted connection, so a refused one costs
    // one accept.
    channel.pipeline().addLast("admission", admission);
    channel
        .pipeline()
        .addLast(
            "install",
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelActive(ChannelHandlerContext ctx) throws Exception {
                // Build the rest first, then pass the event on from this context while it is still
                // in
                // the pipeline: that is what starts the TLS handshake and the session's deadlines.
                install(channel);
                ctx.fireChannelActive();
                ctx.pipeline().remove(this);
              }
            });
  }

  private void install(SocketChannel channel) {
    String peer = channel.remoteAddress().getAddress().getHostAddress();
    ChannelPipeline pipeline = channel.pipeline();
    // Mutual TLS 1.3; the handshake has its own, shorter timeout.
    SslHandler ssl = tls.newServerHandler(channel.alloc());
    ssl.setHandshakeTimeout(settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    pipeline.addLast("tls", ssl);
    // Frames with a hard size bound, checked from the header before the body is buffered.
    pipeline.addLast("decoder", new FrameDecoder());
    pipeline.addLast("encoder", FrameEncoder.INSTANCE);
    // The protocol itself, in the sans-IO ServerSession. Its deadlines: the first frame soon
    // after the handshake, the whole connection within exchange_timeout. It reports how far
    // the connection got, which decides what is evicted when the server is full.
    pipeline.addLast(
        "session",
        new SessionHandler(
            SessionHandler.Role.SERVER,
            certificates ->
                new SessionHandler.Started(
                    new ServerSession(
                        certificates,
                        PeerCertificates.peer(certificates.client()),
                        keys,
                        persister::isTrusted,
                        random),
                    new Step(List.of(), new Step.AwaitFrame())),
            persister,
            peer,
            Optional.empty(),
            new SessionHandler.Deadlines(
                Optional.of(settings.firstFrameTimeout()), settings.exchangeTimeout()),
            stage -> connections.advance(channel, stage),
            new Listener(peer)));
  }

  /** Logs each incoming exchange's outcome: who, from where, which suite; never a key. */
  private static final class Listener implements SessionHandler.Listener {
    private final String peer;

    Listener(String peer) {
      this.peer = peer;
    }

    @Override
    public void succeeded(SessionCertificates certificates, Optional<TrustedPeer> trusted) {
      if (trusted.isPresent()) {
        TrustedPeer t = trusted.get();
        // The subject is the peer's choice: escaped, it cannot forge a log line of its own.
        log.info(
            "paired with {} ({}) from {} using {}; it is now trusted",
            Printable.escaped(t.subject(), Printable.SUBJECT_LOG_LIMIT),
            t.fingerprint(),
            peer,
            t.suite());
      } else {
        log.info(
            "answered a ping from {} ({})",
            peer,
            dev.paird.identity.Certificates.fingerprint(certificates.client()));
      }
    }

    @Override
    public void failed(PairdException failure, Optional<SessionCertificates> certificates) {
      String who =
          certificates
              .map(c -> " (" + dev.paird.identity.Certificates.fingerprint(c.client()) + ")")
              .orElse("");
      switch (failure.code()) {
        case KEY_REJECTED:
          log.warn("rejected a pairing attempt from {}{}: {}", peer, who, failure.getMessage());
          break;
        case NOT_TRUSTED:
          log.info("refused a ping from {}{}: not trusted", peer, who);
          break;
        default:
          log.info("pairing connection from {}{} failed: {}", peer, who, failure.getMessage());
      }
    }
  }
}
