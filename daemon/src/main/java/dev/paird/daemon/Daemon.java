package dev.paird.daemon;

import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.api.Printable;
import dev.paird.config.ListenAddress;
import dev.paird.config.PairdConfig;
import dev.paird.control.ControlServer;
import dev.paird.control.ControlService;
import dev.paird.identity.DeviceIdentity;
import dev.paird.io.AtomicFiles;
import dev.paird.io.LocalFiles;
import dev.paird.keys.PendingKeys;
import dev.paird.net.NameLookups;
import dev.paird.net.Pairing;
import dev.paird.trust.TrustChangedFlag;
import dev.paird.trust.TrustStore;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running paird: state directory lock, identity, trusted list, pending keys, pairing listener and
 * control socket, started in that order and stopped in reverse. systemd hears READY only when both
 * sockets are up.
 */
final class Daemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);

  /**
   * What loading epoll needs: the package's libraries, or a temporary directory where Netty may
   * unpack them and map them executable (which the packaged unit forbids).
   */
  private static final String NATIVE_LIBRARIES_NEEDED =
      "paird needs Linux on x86_64 or aarch64 with glibc, and either the package's native"
          + " libraries in /usr/lib/paird/native (root-owned, not group- or world-writable) or a"
          + " java.io.tmpdir where files may be executed";

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private SdNotify notify;

  /** What {@link #ready} reports. */
  private Path socket;

  private ListenAddress listening;

  private Daemon() {}

  /**
   * Starts everything, or nothing: on failure whatever was started is stopped again and the
   * exception says what was wrong.
   */
  static Daemon start(PairdConfig config) throws PairdException {
    Daemon daemon = new Daemon();
    try {
      daemon.startAll(config);
      return daemon;
    } catch (PairdException | RuntimeException e) {
      daemon.close();
      throw e;
    }
  }

  private void startAll(PairdConfig config) throws PairdException {
    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    String hostName = HostName.current();

    // Before paird opens its own files: loading the native libraries is the first step to fail
    // on a low limit, with a message that does not say why.
    FileBudget.check(config, FileBudget.limit());
    if (!Epoll.isAvailable()) {
      // The cause's own text goes to the log, not into the message a user reads.
      log.error("epoll cannot be loaded", Epoll.unavailabilityCause());
      throw new PairdException(
          ErrorCode.INTERNAL,
          "Netty's native epoll transport cannot be loaded; "
              + NATIVE_LIBRARIES_NEEDED
              + "; the log names the cause");
    }
    // A socket other users could take the place of, and a second paird on the same socket, stop
    // here, before paird makes an identity or takes a port.
    configured(
        config,
        "socket",
        () -> {
          ControlServer.checkSocketDirectory(config.socket());
          return null;
        });
    ControlServer.refuseIfServed(config.socket());
    // A listen name that does not resolve is a mistake to refuse before the state directory and
    // identity are made, not after (the listener binds last).
    configured(
        config,
        "listen",
        () -> {
          config.listen().requireResolvable();
          return null;
        });
    configured(
        config,
        "state_dir",
        () -> {
          prepareStateDirectory(config.stateDir());
          resources.push(StateLock.acquire(config.stateDir()));
          return null;
        });

    DeviceIdentity identity =
        config.cert().isPresent()
            ? loadIdentity(config)
            : configured(
                config,
                "state_dir",
                () ->
                    DeviceIdentity.loadOrGenerate(
                        config.stateDir(),
                        hostName,
                        config.listen().host().stream().toList(),
                        random,
                        clock));
    log.info(
        "device identity {} ({}), fingerprint {}",
        Printable.escaped(identity.subject(), Printable.SUBJECT_LOG_LIMIT),
        identity.keyType(),
        identity.fingerprint());
    TrustChangedFlag changedFlag =
        config.trustChangedFlag().map(TrustChangedFlag::at).orElseGet(TrustChangedFlag::none);
    TrustStore trust =
        configured(
            config,
            "state_dir",
            () -> TrustStore.open(config.stateDir(), TrustStore.DEFAULT_MAX_PEERS, changedFlag));
    // Closed after the store's thread has stopped: writes the journal's changes into the list.
    resources.push(trust);
    log.info("{} trusted peers in {}", trust.list().size(), trust.jsonFile());

    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    resources.push(() -> shutdown(boss, workers));
    // Disk writes (the trusted list) run here, off the event loops; the queue bounds backlog.
    ThreadPoolExecutor blocking =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(64),
            runnable -> {
              Thread thread = new Thread(runnable, "paird-store");
              thread.setDaemon(true);
              return thread;
            });
    resources.push(
        () -> {
          blocking.shutdown();
          blocking.awaitTermination(10, TimeUnit.SECONDS);
        });

    PendingKeys keys =
        new PendingKeys(
            config.maxPendingKeys(),
            config.maxAttempts(),
            config.codeDigits(),
            PairdConfig.keyLifetimeFloor(),
            clock,
            System::nanoTime,
            random);
    workers.next().scheduleAtFixedRate(keys::expire, 1, 1, TimeUnit.SECONDS);
    resources.push(keys::cancelAll);

    // Name lookups for pair and ping block in the JDK; a few at a time, never a queue.
    ThreadPoolExecutor resolver = NameLookups.newThreadPool();
    resources.push(resolver::shutdownNow);

    Pairing.Builder pairingSide =
        Pairing.builder(identity, trust, keys)
            .eventLoops(boss, workers)
            .configured(config, config.listen())
            .executors(blocking, resolver)
            .clock(clock)
            .random(random);
    Pairing pairing = configured(config, "listen", pairingSide::start);
    resources.push(pairing);
    ListenAddress listening = bound(config, pairing.localAddress());
    ControlService service =
        new ControlService(
            identity,
            keys,
            trust,
            config,
            pairing.client(),
            pairing::load,
            hostName,
            listening,
            clock,
            blocking);
    resources.push(
        ControlServer.start(
            boss,
            workers,
            config.socket(),
            config.socketGroup(),
            service,
            config.controlMaxConnections(),
            config.controlIdleTimeout()));

    notify = SdNotify.fromEnvironment(workers);
    socket = config.socket();
    this.listening = listening;
  }

  /**
   * Tells systemd, and the log, that paird is ready: called once whoever started paird can stop it
   * cleanly, its shutdown hook in place, since systemd may stop it as soon as it hears READY=1.
   * Nothing once paird is stopping.
   */
  synchronized void ready() {
    if (stopped.isDone()) {
      return;
    }
    notify.send("READY=1\nSTATUS=serving " + socket);
    log.info("paird ready: control socket {}, pairing on {}", socket, listening);
  }

  /** A start-up step that fails with a {@link PairdException}. */
  @FunctionalInterface
  private interface Step<T> {
    T run() throws PairdException;
  }

  /**
   * Runs a step that the setting {@code key} configures; if it fails, the message starts with where
   * that setting was made ({@code FILE:LINE} or the flag), as errors in the file itself do.
   */
  private static <T> T configured(PairdConfig config, String key, Step<T> step)
      throws PairdException {
    try {
      return step.run();
    } catch (PairdException e) {
      Optional<String> origin = config.origin(key);
      if (origin.isEmpty()) {
        throw e;
      }
      throw new PairdException(e.code(), origin.get() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The configured identity. Its errors start with where the certificate was set when they concern
   * the certificate file, and with where the key was set otherwise (the key file, or the key not
   * matching the certificate).
   */
  private static DeviceIdentity loadIdentity(PairdConfig config) throws PairdException {
    Path cert = config.cert().orElseThrow();
    Path key = config.key().orElseThrow();
    X509Certificate certificate =
        configured(config, "cert", () -> DeviceIdentity.readCertificate(cert));
    return configured(config, "key", () -> DeviceIdentity.withKey(certificate, cert, key));
  }

  /**
   * Creates the state directory, mode 0700, or checks the one that exists: it must belong to
   * paird's user, and no other user may write to it or to a directory above it.
   */
  private static void prepareStateDirectory(Path stateDir) throws PairdException {
    // First: a state directory that others could swap is neither made nor used.
    onStateDirectory(stateDir, "use", () -> LocalFiles.checkDirectoriesAbove(stateDir));
    onStateDirectory(
        stateDir,
        "create",
        () -> AtomicFiles.createDirectory(stateDir, PosixFilePermissions.fromString("rwx------")));
    onStateDirectory(stateDir, "use", () -> LocalFiles.checkPrivateDirectory(stateDir));
  }

  /** A step on the state directory that may fail as a file operation. */
  private interface StateDirectoryStep {
    void run() throws IOException;
  }

  /** Runs {@code step}, failing as "cannot VERB the state directory DIR: REASON". */
  private static void onStateDirectory(Path stateDir, String verb, StateDirectoryStep step)
      throws PairdException {
    try {
      step.run();
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.STATE_INVALID,
          "cannot "
              + verb
              + " the state directory "
              + stateDir
              + ": "
              + FileProblems.reason(e, stateDir),
          e);
    }
  }

  /** The listen address as configured, with the port actually bound. */
  private static ListenAddress bound(PairdConfig config, InetSocketAddress bound) {
    return new ListenAddress(config.listen().host(), bound.getPort());
  }

  /** Completes when {@link #close()} has finished. */
  CompletableFuture<Void> stopped() {
    return stopped;
  }

  /** Stops accepting, lets in-flight writes finish, removes the socket and releases the lock. */
  @Override
  public synchronized void close() {
    if (stopped.isDone()) {
      return;
    }
    boolean started = notify != null;
    if (started) {
      log.info("paird stopping");
      notify.send("STOPPING=1");
    }
    while (!resources.isEmpty()) {
      AutoCloseable resource = resources.pop();
      try {
        resource.close();
      } catch (Exception e) {
        log.warn("error while stopping: {}", e.toString());
      }
    }
    if (started) {
      log.info("paird stopped");
    }
    stopped.complete(null);
  }

  private static void shutdown(EventLoopGroup... groups) {
    for (EventLoopGroup group : groups) {
      group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
    }
    for (EventLoopGroup group : groups) {
      group.terminationFuture().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
  }
}
