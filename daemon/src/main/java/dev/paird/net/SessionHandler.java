package dev.paird.net;

import dev.paird.api.Durations;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.protocol.ErrorReason;
import dev.paird.protocol.Frame;
import dev.paird.protocol.PairingProtocol;
import dev.paird.protocol.Session;
import dev.paird.protocol.SessionCertificates;
import dev.paird.protocol.Step;
import dev.paird.trust.TrustPersister;
import dev.paird.trust.TrustedPeer;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.LoggerFactory;

/**
 * Carries one pairing connection's frames to and from its sans-IO {@link Session}, for either role.
 * It starts the session only after the TLS handshake succeeded with ALPN {@code paird/1}, hands it
 * the certificates exactly as this side observed them, persists trust when the session asks (off
 * the event loop) and closes the connection when the session is done or the deadline passes. It
 * reports the outcome exactly once, or not at all for a connection that was refused before it
 * reached this handler.
 */
final class SessionHandler extends SimpleChannelInboundHandler<Frame> {

  /** Creates the session once the certificates are known, with its first step. */
  interface Starter {
    Started start(SessionCertificates certificates) throws PairdException;

    /**
     * Called once the connection is up and the TLS handshake has begun (a client's ClientHello is
     * on its way): work the session will need that does not depend on the handshake can be done
     * here, while the peer answers, instead of after it.
     */
    default void prepare() {}

    /** The connection ended before {@link #start} was called: drop what {@link #prepare} made. */
    default void discard() {}
  }

  record Started(Session session, Step first) {}

  /**
   * Fired through a client connection's pipeline when whoever asked for the exchange has gone: the
   * exchange ends at once, and trust is never saved unless saving had already begun.
   */
  static final Object ABANDONED =
      new Object() {
        @Override
        public String toString() {
          return "ABANDONED";
        }
      };

  /** Hears the outcome, once. */
  interface Listener {
    void succeeded(SessionCertificates certificates, Optional<TrustedPeer> trusted);

    void failed(PairdException failure, Optional<SessionCertificates> certificates);
  }

  enum Role {
    CLIENT,
    SERVER
  }

  /**
   * How long the peer may take: to deliver its first frame after the TLS handshake (the server's
   * deadline; the client speaks first), and for the whole connection from the moment it became
   * active.
   */
  record Deadlines(Optional<Duration> firstFrame, Duration exchange) {}

  private final Role role;
  private final Starter starter;
  private final TrustPersister persister;
  private final String peerHost;
  private final Optional<String> label;
  private final Deadlines deadlines;
  private final Consumer<Connections.Stage> progress;
  private final Listener listener;

  private Session session;
  private SessionCertificates certificates;
  private TrustedPeer trusted;
  private boolean active; // the connection reached this handler: it was admitted
  private boolean handshakeDone;
  private boolean persisting;
  private boolean finished;
  private boolean abandoned; // ABANDONED arrived
  private boolean framed; // the first frame has arrived
  private ChannelFuture lastSent; // the write of the last frame this side sent, if any
  private ScheduledFuture<?> timer;
  private ScheduledFuture<?> firstFrameTimer;

  /**
   * @param progress hears each {@link Connections.Stage} the connection reaches after the handshake
   *     starts
   */
  SessionHandler(
      Role role,
      Starter starter,
      TrustPersister persister,
      String peerHost,
      Optional<String> label,
      Deadlines deadlines,
      Consumer<Connections.Stage> progress,
      Listener listener) {
    this.role = role;
    this.starter = starter;
    this.persister = persister;
    this.peerHost = peerHost;
    this.label = label;
    this.deadlines = deadlines;
    this.progress = progress;
    this.listener = listener;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    active = true;
    Duration exchange = deadlines.exchange();
    timer =
        ctx.executor()
            .schedule(
                () ->
                    expire(ctx, "the exchange did not finish within " + Durations.format(exchange)),
                exchange.toNanos(),
                TimeUnit.NANOSECONDS);
    super.channelActive(ctx);
    // The TLS handler in front has already sent a client's ClientHello.
    starter.prepare();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event == ABANDONED) {
      abandon(ctx);
      return;
    }
    if (event == AdmissionHandler.EVICTED) {
      if (!finished && !persisting) {
        fail(
            ctx,
            new PairdException(
                ErrorCode.BUSY,
                "closed to make room for a newer connection" + " (max_connections were open)"),
            Optional.of(ErrorReason.BUSY));
      }
      return;
    }
    if (!(event instanceof SslHandshakeCompletionEvent handshake)) {
      super.userEventTriggered(ctx, event);
      return;
    }
    if (!handshake.isSuccess()) {
      fail(ctx, tlsFailure(handshake.cause()), Optional.empty());
      return;
    }
    handshakeDone = true;
    progress.accept(Connections.Stage.AWAIT_FIRST_FRAME);
    deadlines
        .firstFrame()
        .ifPresent(
            wait ->
                firstFrameTimer =
                    ctx.executor()
                        .schedule(
                            () ->
                                expire(
                                    ctx,
                                    "the other device sent no request within "
                                        + Durations.format(wait)
                                        + " of the TLS handshake"),
                            wait.toNanos(),
                            TimeUnit.NANOSECONDS));
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    if (!PairingProtocol.ALPN.equals(ssl.applicationProtocol())) {
      fail(
          ctx,
          new PairdException(
              ErrorCode.NOT_PAIRD,
              "the other end completed TLS but does not speak the pairing protocol (ALPN "
                  + PairingProtocol.ALPN
                  + " was not agreed); is "
                  + peerHost
                  + " a paird pairing port?"),
          Optional.empty());
      return;
    }
    Optional<SessionCertificates> observed = observedCertificates(ctx, ssl.engine().getSession());
    if (observed.isEmpty()) {
      return; // failed
    }
    certificates = observed.get();
    Started started;
    try {
      started = starter.start(certificates);
    } catch (PairdException e) {
      fail(ctx, e, Optional.empty());
      return;
    }
    session = started.session();
    apply(ctx, started.first());
  }

  /**
   * Each side's end-entity certificate as this side observed it, or empty after failing the
   * exchange: the server asks for a client certificate and refuses a handshake without one, so a
   * client that presented none was not asked, and the other end is no paird.
   */
  private Optional<SessionCertificates> observedCertificates(
      ChannelHandlerContext ctx, SSLSession tls) {
    Certificate[] local = tls.getLocalCertificates();
    Certificate[] peer;
    try {
      peer = tls.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      peer = null;
    }
    if (local == null || local.length == 0) {
      fail(
          ctx,
          new PairdException(
              ErrorCode.NOT_PAIRD,
              role == Role.CLIENT
                  ? peerHost
                      + " did not ask for this device's certificate, so it is not a paird pairing"
                      + " port; check the host and port"
                  : "this device presented no certificate"),
          Optional.empty());
      return Optional.empty();
    }
    if (peer == null || peer.length == 0) {
      fail(
          ctx,
          new PairdException(
              ErrorCode.NOT_PAIRD,
              "the other device presented no certificate, so it is not a paird"),
          Optional.empty());
      return Optional.empty();
    }
    try {
      byte[] own = local[0].getEncoded();
      byte[] theirs = peer[0].getEncoded();
      if (Arrays.equals(own, theirs)) {
        // Only this device holds its key: the other end is this device, through an address of
        // its own (localhost, its own name). Nothing was sent, so no key was tried.
        fail(
            ctx,
            new PairdException(
                ErrorCode.INVALID_ARGUMENT,
                role == Role.CLIENT
                    ? peerHost
                        + " presented this device's own certificate: it is this device;"
                        + " give the other device's host and port instead"
                    : "the other device presented this device's own certificate"),
            Optional.empty());
        return Optional.empty();
      }
      return Optional.of(
          role == Role.CLIENT
              ? SessionCertificates.of(own, theirs)
              : SessionCertificates.of(theirs, own));
    } catch (CertificateEncodingException e) {
      fail(
          ctx,
          new PairdException(
              ErrorCode.TLS_FAILED, "the other device's certificate cannot be encoded"),
          Optional.empty());
      return Optional.empty();
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Frame frame) {
    if (finished || session == null || persisting) {
      return; // while trust is being saved the peer has nothing more to say (see apply)
    }
    if (!framed) {
      framed = true;
      if (firstFrameTimer != null) {
        firstFrameTimer.cancel(false);
      }
      progress.accept(Connections.Stage.EXCHANGE);
    }
    apply(ctx, session.onFrame(frame));
  }

  private void apply(ChannelHandlerContext ctx, Step step) {
    for (Frame frame : step.send()) {
      lastSent = ctx.write(frame);
    }
    ctx.flush();
    Step.Next next = step.next();
    if (next instanceof Step.AwaitFrame) {
      session.whileWaiting();
    } else if (next instanceof Step.PersistTrust persist) {
      if (abandoned) {
        // Not reached: an abandoned exchange is finished and reads no more frames. Kept so that
        // no later change can make an abandoned exchange trust anyone.
        fail(ctx, abandonedFailure(), Optional.empty());
        return;
      }
      // From here the outcome no longer depends on the connection: the peer has proved the key
      // and may already have closed. Finish saving, then report.
      persisting = true;
      progress.accept(Connections.Stage.SAVING);
      persister
          .persist(persist.peerCertificate(), peerHost, persist.suite(), label)
          .whenComplete(
              (peer, failure) -> {
                try {
                  ctx.executor().execute(() -> persisted(ctx, peer, failure));
                } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                  // The event loop is gone: nobody else will ever report this exchange.
                  if (!finished) {
                    finished = true;
                    listener.failed(
                        new PairdException(
                            ErrorCode.INTERNAL,
                            "the daemon shut down while saving the trusted list"),
                        Optional.ofNullable(certificates));
                  }
                }
              });
    } else if (next instanceof Step.Succeeded) {
      finish(ctx);
      listener.succeeded(certificates, Optional.ofNullable(trusted));
    } else if (next instanceof Step.Failed failed) {
      finish(ctx);
      listener.failed(
          new PairdException(failed.code(), failed.message()), Optional.ofNullable(certificates));
    }
  }

  private void persisted(ChannelHandlerContext ctx, TrustedPeer peer, Throwable failure) {
    persisting = false;
    if (finished) {
      return;
    }
    trusted = peer;
    if (failure != null) {
      LoggerFactory.getLogger(SessionHandler.class)
          .error("cannot save the trusted list: {}", failure.getMessage());
    } else if (abandoned) {
      LoggerFactory.getLogger(SessionHandler.class)
          .info(
              "the pairing with {} was abandoned by its requester while its certificate was being"
                  + " saved; it is trusted now ({})",
              peerHost,
              peer.fingerprint());
    }
    apply(
        ctx,
        failure == null
            ? session.persisted(true)
            : session.persistFailed(
                failure instanceof PairdException
                    ? failure.getMessage()
                    : "an unexpected error; see the daemon's log"));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (persisting) {
      if (cause instanceof FrameDecoder.MalformedFrame) {
        // Bytes behind the exchange's last frame, as a frame there would be (channelRead0): not
        // part of the exchange, which is decided; the answer goes once trust is saved. The
        // decoder discards every later byte.
        return;
      }
      // A reset now only ends the connection; the save in progress reports.
      ctx.close();
      return;
    }
    if (cause instanceof FrameDecoder.MalformedFrame malformed) {
      fail(
          ctx,
          new PairdException(
              ErrorCode.PROTOCOL_ERROR,
              "the other device sent a malformed frame: " + malformed.getMessage()),
          Optional.of(ErrorReason.MALFORMED));
    } else if (!handshakeDone
        && (cause instanceof DecoderException || cause instanceof SSLException)) {
      fail(ctx, tlsFailure(cause), Optional.empty());
    } else if (role == Role.CLIENT
        && !framed
        && (cause instanceof SSLException || cause.getCause() instanceof SSLException)) {
      // TLS 1.3 ends the client's handshake before the server has judged the client's
      // certificate: a server that refuses it (one larger than BoringSSL takes, say) says so in an
      // alert that arrives now, before any frame. It is the handshake that failed.
      fail(ctx, tlsFailure(cause), Optional.empty());
    } else if (role == Role.CLIENT && handshakeDone && !framed && cause instanceof IOException) {
      // The same refusal, when the server's kernel answers this side's first frame, sent to the
      // connection the server had closed after its alert, with a reset that discards the alert
      // unread.
      fail(ctx, resetBeforeFirstFrame(), Optional.empty());
    } else if (!handshakeDone && cause instanceof IOException) {
      // reset: closed before reading what we sent
      fail(ctx, closedDuringHandshake(), Optional.empty());
    } else {
      fail(
          ctx,
          new PairdException(
              ErrorCode.PROTOCOL_ERROR,
              "the connection to the other device failed: " + describe(cause)),
          Optional.empty());
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelTimers();
    if (!finished && !persisting) {
      PairdException failure;
      if (!handshakeDone) {
        failure = closedDuringHandshake();
      } else if (role == Role.CLIENT && !framed && !sent() && !closeNotified(ctx)) {
        // The same refusal again, when the reset arrives while this side is still writing its
        // flight (a large certificate): the write fails and the connection closes, with no
        // exception and nothing read. The first frame never left, so the other device cannot
        // have acted on it.
        failure = resetBeforeFirstFrame();
      } else {
        failure =
            new PairdException(
                ErrorCode.PROTOCOL_ERROR,
                "the other device closed the connection before the exchange finished");
      }
      fail(ctx, failure, Optional.empty());
    }
    super.channelInactive(ctx);
  }

  /** Whether every frame this side sent so far was written to the connection. */
  private boolean sent() {
    return lastSent != null && lastSent.isSuccess();
  }

  /** Whether the other end closed TLS itself (close_notify), which a refusing server never does. */
  private static boolean closeNotified(ChannelHandlerContext ctx) {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    return ssl != null && ssl.sslCloseFuture().isSuccess();
  }

  /**
   * Whoever asked for this exchange has gone: ends it and closes the connection at once. Trust
   * whose saving has begun is still saved (the peer has proved the key and may trust this device
   * already); otherwise none ever is, since a finished exchange reads no more frames.
   */
  private void abandon(ChannelHandlerContext ctx) {
    abandoned = true;
    if (!finished && !persisting) {
      fail(ctx, abandonedFailure(), Optional.empty());
    }
    ctx.close();
  }

  private static PairdException abandonedFailure() {
    return new PairdException(
        ErrorCode.PEER_FAILED, "abandoned: the request's control connection closed");
  }

  /** A deadline passed: the peer hears TIMEOUT if TLS is up, then the exchange fails. */
  private void expire(ChannelHandlerContext ctx, String what) {
    if (!finished && !persisting) {
      fail(ctx, new PairdException(ErrorCode.TIMEOUT, what), Optional.of(ErrorReason.TIMEOUT));
    }
  }

  /**
   * Ends the exchange with a failure: tells the peer {@code tell} if TLS is up, aborts the session
   * (which counts an attempt it reserved as failed), reports, closes.
   */
  private void fail(ChannelHandlerContext ctx, PairdException failure, Optional<ErrorReason> tell) {
    if (finished) {
      return;
    }
    if (!active) {
      // Refused in front of this handler, which logged why: there was no exchange to report.
      finished = true;
      ctx.close();
      return;
    }
    if (tell.isPresent() && handshakeDone && ctx.channel().isActive()) {
      ctx.write(Frame.error(tell.get()));
    }
    finish(ctx);
    listener.failed(failure, Optional.ofNullable(certificates));
  }

  private void cancelTimers() {
    if (timer != null) {
      timer.cancel(false);
    }
    if (firstFrameTimer != null) {
      firstFrameTimer.cancel(false);
    }
  }

  private void finish(ChannelHandlerContext ctx) {
    finished = true;
    cancelTimers();
    if (session != null) {
      session.abort(); // a no-op for a session that already finished
    } else {
      starter.discard();
    }
    // Close once everything written so far has been flushed.
    ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
        .addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * The peer hung up before the handshake finished. A server refusing connections (too many, or too
   * many from this address) does that, so the client is told it may be that.
   */
  private PairdException closedDuringHandshake() {
    return new PairdException(
        ErrorCode.TLS_FAILED,
        role == Role.CLIENT
            ? "the other device closed the connection during the TLS handshake; it may be limiting"
                + " connections (try again in a minute) or not be a paird"
            : "the other device closed the connection during the TLS handshake");
  }

  /**
   * The server ended the connection after the client's TLS handshake and before its first frame:
   * with a reset, or, without closing TLS, before the client's first frame was written. In TLS 1.3
   * the client's handshake ends before the server has judged the client's certificate, so this is
   * how a server's refusal of it looks when its alert is lost: the reset discarded it, or arrived
   * while this side was still writing its flight and failed the write before anything was read.
   * tls_failed, as the same refusal is reported when the alert is read. A paird server sends a
   * frame for every other failure once TLS is up; a connection that ends once the client's frame
   * has been written, without a reset, or that the server closes with close_notify, stays a
   * protocol error: the server may have acted on the frame.
   */
  private PairdException resetBeforeFirstFrame() {
    return new PairdException(
        ErrorCode.TLS_FAILED,
        "the other device ended the connection right after the TLS handshake, before its first"
            + " frame: in TLS 1.3 that is how it refuses this device's certificate (one larger"
            + " than it accepts, say) when its alert is lost");
  }

  private PairdException tlsFailure(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (cause instanceof ClosedChannelException) {
      // SslHandler's report of a connection that closed before the handshake finished.
      return closedDuringHandshake();
    }
    if (cause instanceof NotSslRecordException || root instanceof NotSslRecordException) {
      return new PairdException(
          ErrorCode.NOT_PAIRD, peerHost + " does not speak TLS; is it a paird pairing port?");
    }
    if (cause instanceof SslHandshakeTimeoutException) {
      return new PairdException(
          ErrorCode.TIMEOUT, "the TLS handshake with " + peerHost + " timed out");
    }
    for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof PairingTrustManager.WeakKeyException weak) {
        return new PairdException(
            ErrorCode.TLS_FAILED,
            "the TLS handshake with " + peerHost + " failed: " + weak.getMessage());
      }
    }
    String text = describe(cause);
    if (text.contains("NO_APPLICATION_PROTOCOL") || text.contains("no_application_protocol")) {
      return new PairdException(
          ErrorCode.NOT_PAIRD,
          peerHost
              + " speaks TLS but not the pairing protocol (ALPN "
              + PairingProtocol.ALPN
              + ")");
    }
    return new PairdException(
        ErrorCode.TLS_FAILED, "the TLS handshake with " + peerHost + " failed: " + text);
  }

  /**
   * What to tell a user about {@code cause}: the operating system's or the TLS library's reason for
   * an I/O or TLS failure, never the text of a programming error, which is logged instead.
   */
  private static String describe(Throwable cause) {
    Throwable inner =
        cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    Optional<String> reason = IoReasons.of(inner);
    if (reason.isPresent()) {
      return reason.get();
    }
    LoggerFactory.getLogger(SessionHandler.class)
        .warn("unexpected failure on a pairing connection", inner);
    return "an internal error (the daemon's log has the details)";
  }
}
