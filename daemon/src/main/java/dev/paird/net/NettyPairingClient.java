package dev.paird.net;

import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlRequest;
import dev.paird.api.Echo;
import dev.paird.api.ErrorCode;
import dev.paird.api.HmacCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import dev.paird.config.HostPort;
import dev.paird.identity.Certificates;
import dev.paird.protocol.ClientSession;
import dev.paird.protocol.SessionCertificates;
import dev.paird.trust.TrustPersister;
import dev.paird.trust.TrustStore;
import dev.paird.trust.TrustedPeer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The daemon's side of {@code pairctl pair} and {@code pairctl ping}: resolves the host, connects
 * with mutual TLS and runs a {@link ClientSession} through a {@link SessionHandler}.
 */
public final class NettyPairingClient implements PairingClient {
  private final EventLoopGroup group;
  private final TlsContexts tls;
  private final TrustPersister persister;
  private final NameLookups lookups;
  private final Duration connectTimeout;
  private final Duration handshakeTimeout;
  private final Duration exchangeTimeout;
  private final SecureRandom random;

  NettyPairingClient(
      EventLoopGroup group,
      TlsContexts tls,
      TrustPersister persister,
      Executor resolver,
      Duration connectTimeout,
      Duration handshakeTimeout,
      Duration exchangeTimeout,
      SecureRandom random) {
    this.group = group;
    this.tls = tls;
    this.persister = persister;
    this.lookups = new NameLookups(resolver);
    this.connectTimeout = connectTimeout;
    this.handshakeTimeout = handshakeTimeout;
    this.exchangeTimeout = exchangeTimeout;
    this.random = random;
  }

  @Override
  public CompletableFuture<TrustedPeer> pair(
      String host, PairingCode code, Optional<String> label) {
    Suite suite = code instanceof Spake2Code ? Suite.SPAKE2 : Suite.HMAC;
    Held held = new Held();
    CompletableFuture<Outcome> outcome =
        run(
            host,
            label,
            () ->
                keeping(
                    host,
                    suite,
                    label,
                    held,
                    code instanceof Spake2Code spake2
                        ? new Spake2Starter(spake2, random)
                        : starting(
                            certificates -> ClientSession.hmac((HmacCode) code, certificates))));
    // Saved or not, the pairing no longer needs its room held.
    outcome.whenComplete((done, failure) -> held.set(null));
    return PairingClient.abandoning(
        outcome.thenApply(done -> done.trusted().orElseThrow()), outcome);
  }

  /** The room one {@code pair} holds in the list: for the server of its latest attempt. */
  private static final class Held {
    private TrustStore.Reservation reservation;

    /** Holds {@code next} (null: nothing) and releases what was held before. */
    synchronized void set(TrustStore.Reservation next) {
      if (reservation != null) {
        reservation.release();
      }
      reservation = next;
    }
  }

  /**
   * {@code starter}, once this device has checked that it can keep the server's certificate, and
   * holds its room in the list: the server saves trust first (PROTOCOL.md, §7), so one this device
   * would refuse to save, too large for its list or with no room left, must end the connection
   * before the first frame, while the server trusts nobody and its key keeps every attempt; and the
   * room must still be there when the exchange has succeeded, whatever other pairings do meanwhile.
   */
  private SessionHandler.Starter keeping(
      String host, Suite suite, Optional<String> label, Held held, SessionHandler.Starter starter) {
    return new SessionHandler.Starter() {
      @Override
      public SessionHandler.Started start(SessionCertificates certificates) throws PairdException {
        held.set(persister.reserveRoomFor(certificates.server(), host, suite, label));
        return starter.start(certificates);
      }

      @Override
      public void prepare() {
        starter.prepare();
      }

      @Override
      public void discard() {
        starter.discard();
      }
    };
  }

  @Override
  public CompletableFuture<PingResult> ping(String host) {
    long start = System.nanoTime();
    CompletableFuture<Outcome> outcome =
        run(
            host,
            Optional.empty(),
            () ->
                starting(
                    certificates ->
                        ClientSession.ping(
                            certificates, persister.isTrusted(certificates.server()))));
    return PairingClient.abandoning(
        outcome.thenApply(
            done -> {
              byte[] server = done.certificates().server();
              return new PingResult(
                  Certificates.fingerprint(server),
                  PeerCertificates.subject(server),
                  Duration.ofNanos(System.nanoTime() - start));
            }),
        outcome);
  }

  private record Outcome(SessionCertificates certificates, Optional<TrustedPeer> trusted) {}

  private static SessionHandler.Starter starting(
      Function<SessionCertificates, ClientSession> sessions) {
    return certificates -> {
      ClientSession session = sessions.apply(certificates);
      return new SessionHandler.Started(session, session.start());
    };
  }

  /**
   * Starts a spake2 session whose share, and what else of SPAKE2 does not need the server's share,
   * was computed while the TLS handshake ran: after the ClientHello left, the client has a round
   * trip and the server's share of the handshake's work to wait anyway. One per connection, since a
   * run's scalar must never be used twice.
   */
  private static final class Spake2Starter implements SessionHandler.Starter {
    private final Spake2Code code;
    private final SecureRandom random;
    private ClientSession.PreparedSpake2 prepared; // from prepare() until start() or discard()

    Spake2Starter(Spake2Code code, SecureRandom random) {
      this.code = code;
      this.random = random;
    }

    @Override
    public void prepare() {
      if (prepared == null) {
        prepared = ClientSession.prepareSpake2(code, random);
      }
    }

    @Override
    public SessionHandler.Started start(SessionCertificates certificates) {
      prepare();
      ClientSession session = ClientSession.spake2(code, prepared, certificates);
      prepared = null; // the session owns it now
      return new SessionHandler.Started(session, session.start());
    }

    @Override
    public void discard() {
      if (prepared != null) {
        prepared.destroy();
        prepared = null;
      }
    }
  }

  private CompletableFuture<Outcome> run(
      String host, Optional<String> label, Supplier<SessionHandler.Starter> starters) {
    HostPort target = HostPort.parse(host, ControlProtocol.DEFAULT_PAIRING_PORT);
    // A host with a colon is an IPv6 address or nothing: 127.0.0.1:7247:1 is no name to look up.
    if (target == null
        || target.host().isEmpty()
        || (target.host().indexOf(':') >= 0 && !NetUtil.isValidIpV6Address(target.host()))) {
      return CompletableFuture.failedFuture(
          new PairdException(
              ErrorCode.INVALID_ARGUMENT,
              "'" + quoted(host) + "' is not HOST, HOST:PORT or [IPV6]:PORT"));
    }
    if (PairingCode.isKeyNotHost(target.host())) {
      // Never looked up: the name servers would receive the key.
      return CompletableFuture.failedFuture(
          new PairdException(
              ErrorCode.INVALID_ARGUMENT,
              "the host has the shape of a pairing key, so it is neither looked up nor shown;"
                  + " give the other device's host name or address as HOST, and the key where"
                  + " pairctl asks for it"));
    }
    CompletableFuture<Outcome> result = new CompletableFuture<>();
    EventLoop loop = callersLoop();
    Attempt attempt = new Attempt();
    result.whenComplete(
        (outcome, failure) -> {
          if (result.isCancelled()) {
            onLoop(loop, attempt::abandon);
          }
        });
    resolve(target)
        .whenComplete(
            (addresses, failure) -> {
              if (failure != null) {
                result.completeExceptionally(failure);
              } else {
                onLoop(
                    loop,
                    () ->
                        connect(
                            loop, target, addresses, 0, host, label, starters, result, attempt));
              }
            });
    return result;
  }

  /**
   * One {@code pair} or {@code ping}, abandoned once its future is cancelled (its requester has
   * gone): no further address is tried, and the connection being tried hears {@link
   * SessionHandler#ABANDONED} and closes. Confined to its event loop.
   */
  private static final class Attempt {
    private boolean abandoned;
    private Channel channel; // the connection being tried, once there is one

    void abandon() {
      abandoned = true;
      if (channel != null) {
        // The session hears it before the close, which may yet pass it a last buffered frame.
        channel.pipeline().fireUserEventTriggered(SessionHandler.ABANDONED);
        channel.close();
      }
    }
  }

  /** Runs {@code task} on {@code loop}: at once when called there, otherwise in its turn. */
  private static void onLoop(EventLoop loop, Runnable task) {
    if (loop.inEventLoop()) {
      task.run();
      return;
    }
    try {
      loop.execute(task);
    } catch (RejectedExecutionException shuttingDown) {
      // The daemon is stopping; its connections close with it.
    }
  }

  /**
   * The event loop for a new connection: the caller's own when it is one of the group's, as a
   * control connection asking for {@code pair} or {@code ping} is. The request, the pairing
   * connection and the answer then stay on one thread, with no hand-off to another loop and back
   * (each a wake-up, two per request). Nothing on that path blocks: name lookups run on the
   * resolver and trusted-list writes on the disk executor, as before. Any other caller gets the
   * group's next loop.
   */
  private EventLoop callersLoop() {
    for (EventExecutor executor : group) {
      if (executor.inEventLoop() && executor instanceof EventLoop loop) {
        return loop;
      }
    }
    return group.next();
  }

  /**
   * Looks the name up off the event loops, since the JDK resolver blocks. An IP address needs no
   * lookup and no thread: it is used as it is.
   */
  private CompletableFuture<InetAddress[]> resolve(HostPort target) {
    Optional<InetAddress> literal = literalAddress(target.host());
    if (literal.isPresent()) {
      return CompletableFuture.completedFuture(new InetAddress[] {literal.get()});
    }
    Optional<CompletableFuture<InetAddress[]>> lookup = lookups.lookUp(target.host());
    if (lookup.isEmpty()) {
      return CompletableFuture.failedFuture(
          new PairdException(ErrorCode.BUSY, "too many name lookups in progress; try again"));
    }
    return lookup
        .get()
        .exceptionallyCompose(
            failure ->
                CompletableFuture.failedFuture(
                    failure instanceof UnknownHostException
                        ? new PairdException(
                            ErrorCode.PEER_UNREACHABLE,
                            "cannot resolve '"
                                + quoted(target.host())
                                + "'; check the name, or use the other device's"
                                + " IP address (its 'pairctl status' shows its host name)")
                        : failure));
  }

  /**
   * {@code host} as an address when it is an IPv4 address in dotted-quad form or an IPv6 address.
   * Anything else goes to the JDK resolver, which also knows the older IPv4 forms ({@code 10.1})
   * and IPv6 scope names ({@code fe80::1%eth0}), so those keep meaning what they meant.
   */
  static Optional<InetAddress> literalAddress(String host) {
    if (host.indexOf('%') >= 0) {
      return Optional.empty();
    }
    return Optional.ofNullable(NetUtil.createInetAddressFromIpAddressString(host));
  }

  /** Tries each address in turn until one accepts the connection. */
  private void connect(
      EventLoop loop,
      HostPort target,
      InetAddress[] addresses,
      int index,
      String host,
      Optional<String> label,
      Supplier<SessionHandler.Starter> starters,
      CompletableFuture<Outcome> result,
      Attempt attempt) {
    if (attempt.abandoned) {
      return;
    }
    InetSocketAddress address = new InetSocketAddress(addresses[index], target.port());
    SessionHandler.Listener listener =
        new SessionHandler.Listener() {
          @Override
          public void succeeded(SessionCertificates certificates, Optional<TrustedPeer> trusted) {
            result.complete(new Outcome(certificates, trusted));
          }

          @Override
          public void failed(PairdException failure, Optional<SessionCertificates> certificates) {
            result.completeExceptionally(failure);
          }
        };
    ChannelFuture connected =
        new Bootstrap()
            .group(loop)
            .channel(EpollSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel channel) {
                    SslHandler ssl = tls.newClientHandler(channel.alloc());
                    ssl.setHandshakeTimeout(handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
                    channel
                        .pipeline()
                        .addLast("tls", ssl)
                        .addLast("decoder", new FrameDecoder())
                        .addLast("encoder", FrameEncoder.INSTANCE)
                        .addLast(
                            "session",
                            new SessionHandler(
                                SessionHandler.Role.CLIENT,
                                starters.get(),
                                persister,
                                host,
                                label,
                                new SessionHandler.Deadlines(Optional.empty(), exchangeTimeout),
                                stage -> {},
                                listener));
                  }
                })
            .connect(address);
    attempt.channel = connected.channel();
    connected.addListener(
        future -> {
          if (future.isSuccess() || attempt.abandoned) {
            return;
          }
          if (index + 1 < addresses.length) {
            connect(loop, target, addresses, index + 1, host, label, starters, result, attempt);
            return;
          }
          Throwable cause = future.cause();
          String why =
              cause instanceof ConnectTimeoutException
                  ? "no answer within connect_timeout"
                  : IoReasons.of(cause).orElse("the connection failed");
          result.completeExceptionally(
              new PairdException(
                  ErrorCode.PEER_UNREACHABLE,
                  "cannot connect to "
                      + quoted(host)
                      + " ("
                      + address.getAddress().getHostAddress()
                      + " port "
                      + target.port()
                      + "): "
                      + why
                      + "; is paird running there and the port open?"));
        });
  }

  /**
   * A host the caller sent, as a message quotes it: its first {@link ControlRequest#ECHO_LIMIT}
   * characters, printable ASCII and escapes, or not at all if it has a key's shape ({@link Echo};
   * docs/CONTROL.md, "Responses").
   */
  private static String quoted(String host) {
    return Echo.of(host);
  }
}
