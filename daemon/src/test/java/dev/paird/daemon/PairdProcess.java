package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.config.KeyLifetimeFloorPaird;
import dev.paird.testing.OpenSslCli.SelfSigned;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A paird started by the launch script packaging/bin/paird as a child process, for the end-to-end
 * tests. It is ready when it tells systemd so: a {@code READY=1} datagram on the socket named by
 * {@code $NOTIFY_SOCKET}, here one that this class owns, so that nobody has to guess how long
 * start-up takes, nor read it from a log line. Its stderr (the log) is collected.
 *
 * <p>The scripts run the jars of "mvn package" (ctl/target/lib, daemon/target/lib); failsafe runs
 * the tests that use this in the verify phase, after package.
 */
public final class PairdProcess implements AutoCloseable {
  /** The build runs in the daemon module; the repository is the first parent with the scripts. */
  public static final Path REPO = repositoryRoot();

  static final Path PAIRD = REPO.resolve("packaging/bin/paird");
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  /** Receives every paird's notifications; daemon threads, so it never holds the JVM open. */
  private static final EventLoopGroup NOTIFY_LOOP =
      new MultiThreadIoEventLoopGroup(
          1, new DefaultThreadFactory("paird-notify", true), EpollIoHandler.newFactory());

  public final Process process;
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());

  /** The log's bytes as paird wrote them: reading lines loses what ends one, a lone CR too. */
  private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

  /** True once paird has sent READY=1; false if its log ends first. */
  private final CompletableFuture<Boolean> ready;

  private final Notifications notifications;
  private final Thread reader;

  /** Set, under the log's lock, when paird's stderr has ended. */
  private boolean logEnded;

  private PairdProcess(Process process, Notifications notifications) {
    this.process = process;
    this.notifications = notifications;
    this.ready = notifications.ready;
    this.reader = new Thread(this::readLog, "paird-log-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  private static Path repositoryRoot() {
    Path module = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path dir = module; dir != null; dir = dir.getParent()) {
      if (Files.isExecutable(dir.resolve("packaging/bin/paird"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no packaging/bin/paird in " + module + " or above");
  }

  /**
   * The paird of a test that lives in {@code dir}: unless the test says otherwise, {@code --config
   * DIR/paird.conf} with every setting at its default, {@code --state-dir DIR/state}, {@code
   * --socket DIR/control.sock} and {@code --listen 127.0.0.1:0}.
   */
  public static Options in(Path dir) {
    return new Options(dir);
  }

  /**
   * The command line of one test paird, so that the tests state only what they change. The pairing
   * port is 0 unless a test sets another: the kernel picks a free one as paird binds it, so that no
   * other test, in this JVM or another, can take it first; paird reports it ({@code listen} in
   * status, {@code port} in new-key).
   */
  public static final class Options {
    private final Path dir;
    private Path config;
    private List<String> settings = List.of("# every setting at its default");
    private Path stateDir;
    private Path socket;
    private Optional<String> listen = Optional.of("127.0.0.1:0");
    private Optional<SelfSigned> identity = Optional.empty();
    private List<String> wrapper = List.of();
    private Path launcher = PAIRD;
    private Optional<Duration> keyLifetimeFloor = Optional.empty();

    private Options(Path dir) {
      this.dir = dir;
      this.config = dir.resolve("paird.conf");
      this.stateDir = dir.resolve("state");
      this.socket = dir.resolve("control.sock");
    }

    /** paird.conf's lines, written to DIR/paird.conf when paird is launched. */
    public Options settings(String... lines) {
      this.config = dir.resolve("paird.conf");
      this.settings = List.of(lines);
      return this;
    }

    /** A config file the test wrote itself, used as it is. */
    public Options config(Path file) {
      this.config = file;
      this.settings = null;
      return this;
    }

    public Options stateDir(Path stateDir) {
      this.stateDir = stateDir;
      return this;
    }

    public Options socket(Path socket) {
      this.socket = socket;
      return this;
    }

    /** No {@code --listen}: paird listens where its config or its default says. */
    public Options defaultListen() {
      this.listen = Optional.empty();
      return this;
    }

    /** The certificate and key paird presents, rather than the identity it generates. */
    public Options identity(SelfSigned files) {
      this.identity = Optional.of(files);
      return this;
    }

    /**
     * A command that executes the rest in place, such as {@code ip netns exec NS} or {@code env
     * VAR=VALUE}, so that the child process is paird itself and stopping it stops paird.
     */
    public Options wrapper(List<String> command) {
      this.wrapper = List.copyOf(command);
      return this;
    }

    /** Another copy of the launch script, such as one in a layout like an installed package's. */
    public Options launcher(Path script) {
      this.launcher = script;
      return this;
    }

    /** Keys may live as little as {@code floor}; see {@link KeyLifetimeFloorPaird}. */
    public Options keyLifetimeFloor(Duration floor) {
      this.keyLifetimeFloor = Optional.of(floor);
      return this;
    }

    public Path socket() {
      return socket;
    }

    /** The pairctl that drives this paird; its output files go in DIR. */
    public Pairctl pairctl() {
      return new Pairctl(socket, dir);
    }

    /** paird's arguments, without the command that runs it. */
    public List<String> arguments() {
      List<String> arguments =
          new ArrayList<>(
              List.of(
                  "--config",
                  config.toString(),
                  "--state-dir",
                  stateDir.toString(),
                  "--socket",
                  socket.toString()));
      listen.ifPresent(address -> arguments.addAll(List.of("--listen", address)));
      identity.ifPresent(
          files ->
              arguments.addAll(
                  List.of("--cert", files.cert().toString(), "--key", files.key().toString())));
      return arguments;
    }

    /** Starts paird without waiting for it to be ready (a test of a refused start). */
    public PairdProcess launch() throws IOException {
      Files.createDirectories(dir);
      if (settings != null) {
        Files.writeString(config, String.join("\n", settings) + "\n");
      }
      return keyLifetimeFloor.isPresent()
          ? launchWithKeyLifetimeFloor(wrapper, keyLifetimeFloor.get(), arguments())
          : PairdProcess.launch(wrapper, launcher, arguments());
    }

    /** Starts paird and waits until it is ready; one that is not is stopped. */
    public PairdProcess start() throws Exception {
      PairdProcess paird = launch();
      try {
        return paird.awaitReady();
      } catch (Exception | AssertionError e) {
        paird.close();
        throw e;
      }
    }
  }

  /**
   * Runs {@code wrapper... packaging/bin/paird arguments...} without waiting for it to be ready.
   * {@code wrapper} is a command that executes the rest in place, such as {@code ip netns exec NS},
   * so that the child process is paird itself and stopping it stops paird; it may be empty.
   */
  public static PairdProcess launch(List<String> wrapper, List<String> arguments)
      throws IOException {
    return launch(wrapper, PAIRD, arguments);
  }

  private static PairdProcess launch(List<String> wrapper, Path launcher, List<String> arguments)
      throws IOException {
    List<String> command = new ArrayList<>(wrapper);
    command.add(launcher.toString());
    command.addAll(arguments);
    return start(command);
  }

  /**
   * Runs paird as the launch script does, from daemon/target/lib, but through {@link
   * KeyLifetimeFloorPaird}, so that it takes keys that live only {@code floor}: the tests of real
   * expiry need not wait half a minute. That one class is copied to a directory of its own, so that
   * nothing else of the test class path changes paird.
   */
  private static PairdProcess launchWithKeyLifetimeFloor(
      List<String> wrapper, Duration floor, List<String> arguments) throws IOException {
    String name = KeyLifetimeFloorPaird.class.getName();
    Path classes = Files.createTempDirectory("paird-floor");
    Path file = classes.resolve(name.replace('.', '/') + ".class");
    Files.createDirectories(file.getParent());
    // Removed when the tests end, deepest first (deleteOnExit works in reverse order).
    for (Path path = classes;
        !path.equals(file);
        path = path.resolve(file.getName(path.getNameCount()))) {
      path.toFile().deleteOnExit();
    }
    file.toFile().deleteOnExit();
    try (InputStream in =
        KeyLifetimeFloorPaird.class.getResourceAsStream(
            KeyLifetimeFloorPaird.class.getSimpleName() + ".class")) {
      Files.copy(in, file);
    }
    List<String> command = new ArrayList<>(wrapper);
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx64m",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
            "-cp",
            REPO.resolve("daemon/target/lib") + "/*:" + classes,
            name,
            Long.toString(floor.toSeconds())));
    command.addAll(arguments);
    return start(command);
  }

  private static PairdProcess start(List<String> command) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    // Not under systemd, whatever runs the build: terminal log format, and the notifications
    // go to this test's socket, not to the service manager of whoever runs the build.
    builder.environment().remove("JOURNAL_STREAM");
    Notifications notifications = Notifications.open();
    builder.environment().put("NOTIFY_SOCKET", notifications.socket.toString());
    try {
      return new PairdProcess(builder.start(), notifications);
    } catch (IOException | RuntimeException e) {
      notifications.close();
      throw e;
    }
  }

  /**
   * The notify socket of one paird: a Unix datagram socket in a directory of its own (a path, not
   * an abstract name, so that a paird in another network namespace reaches it too).
   */
  private static final class Notifications {
    final Path dir;
    final Path socket;
    final CompletableFuture<Boolean> ready = new CompletableFuture<>();
    private Channel channel;

    private Notifications(Path dir) {
      this.dir = dir;
      this.socket = dir.resolve("notify");
    }

    static Notifications open() throws IOException {
      Notifications notifications = new Notifications(Files.createTempDirectory("paird-notify"));
      try {
        notifications.channel =
            new Bootstrap()
                .group(NOTIFY_LOOP)
                .channel(EpollDomainDatagramChannel.class)
                .handler(
                    new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                      @Override
                      protected void channelRead0(
                          ChannelHandlerContext ctx, DomainDatagramPacket packet) {
                        String state = packet.content().toString(StandardCharsets.UTF_8);
                        if (state.lines().anyMatch("READY=1"::equals)) {
                          notifications.ready.complete(true);
                        }
                      }
                    })
                .bind(new DomainSocketAddress(notifications.socket.toString()))
                .syncUninterruptibly()
                .channel();
      } catch (RuntimeException e) {
        notifications.close();
        throw new IOException("cannot bind a notify socket in " + notifications.dir, e);
      }
      return notifications;
    }

    void close() {
      if (channel != null) {
        channel.close().syncUninterruptibly();
      }
      try {
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        // A temporary directory left behind harms nobody.
      }
    }
  }

  private void readLog() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(new Copying(process.getErrorStream()), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        synchronized (log) {
          log.add(line);
          log.notifyAll();
        }
      }
    } catch (IOException e) {
      log.add("(reading the log failed: " + e + ")");
    } finally {
      ready.complete(false);
      synchronized (log) {
        logEnded = true;
        log.notifyAll();
      }
    }
  }

  /**
   * Waits until paird has logged a line that {@code matches}, at most {@code bound}; returns it, or
   * fails showing the log. The log is written asynchronously, so a test that checks for a line
   * about something it just saw happen waits for it here instead of reading once.
   */
  public String awaitLogLine(Predicate<String> matches, String description, Duration bound)
      throws InterruptedException {
    Optional<String> line = logLineWithin(matches, bound);
    if (line.isEmpty()) {
      throw new AssertionError(
          "paird logged no line " + description + " within " + bound + "; its log:\n" + log());
    }
    return line.get();
  }

  /**
   * As {@link #awaitLogLine}, but empty if no such line came within {@code bound} (or paird's log
   * ended): for a test that goes on until paird stops doing something.
   */
  public Optional<String> logLineWithin(Predicate<String> matches, Duration bound)
      throws InterruptedException {
    long end = System.nanoTime() + bound.toNanos();
    synchronized (log) {
      for (int seen = 0; ; ) {
        for (; seen < log.size(); seen++) {
          if (matches.test(log.get(seen))) {
            return Optional.of(log.get(seen));
          }
        }
        long left = end - System.nanoTime();
        if (left <= 0 || logEnded) {
          return Optional.empty();
        }
        TimeUnit.NANOSECONDS.timedWait(log, left);
      }
    }
  }

  /**
   * Waits until paird has sent READY=1, at most {@link #START_TIMEOUT}; fails, showing its log, if
   * it exits first or takes longer.
   */
  public PairdProcess awaitReady() throws Exception {
    boolean isReady;
    try {
      isReady = ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(
          "paird sent no READY=1 within " + START_TIMEOUT + "; its log:\n" + log(), e);
    }
    assertThat(isReady).as("paird sent READY=1 before its log ended; its log:\n%s", log()).isTrue();
    return this;
  }

  /**
   * Waits, at most {@link #START_TIMEOUT}, until paird has sent READY=1 (true) or its log has ended
   * without it, as when it was killed while starting (false).
   */
  public boolean awaitReadyOrEnd() throws Exception {
    try {
      return ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(
          "paird neither sent READY=1 nor ended within " + START_TIMEOUT + "; its log:\n" + log(),
          e);
    }
  }

  /** Waits for paird to exit by itself; returns its status. */
  public int awaitExit() throws Exception {
    assertThat(process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
        .as("paird exited; its log:\n%s", log())
        .isTrue();
    reader.join(TimeUnit.SECONDS.toMillis(10));
    notifications.close();
    return process.exitValue();
  }

  /**
   * Sends SIGTERM, as systemctl stop does, and waits for the exit. Through the process's handle:
   * {@link Process#destroy} also closes the pipe of paird's log, and loses what paird logs as it
   * stops.
   */
  public int stop() throws Exception {
    process.toHandle().destroy();
    return awaitExit();
  }

  public String log() {
    synchronized (log) {
      return String.join("\n", log);
    }
  }

  /**
   * Every byte paird has written to its log so far, unchanged: at least those of every line {@link
   * #awaitLogLine} has returned.
   */
  public byte[] logBytes() {
    synchronized (logBytes) {
      return logBytes.toByteArray();
    }
  }

  /** Keeps a copy, in {@link #logBytes}, of each byte read from paird's stderr. */
  private final class Copying extends FilterInputStream {
    Copying(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        synchronized (logBytes) {
          logBytes.write(b);
        }
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        synchronized (logBytes) {
          logBytes.write(buffer, offset, n);
        }
      }
      return n;
    }
  }

  /** Checks that no line paird logged shows any of {@code keys}, with or without dashes. */
  public void assertLogOmits(Collection<String> keys) {
    String text = log();
    for (String key : keys) {
      assertThat(text).as("paird's log").doesNotContain(key).doesNotContain(key.replace("-", ""));
    }
  }

  /** The JVM's process id: the launch script execs java in its own place. */
  public long pid() {
    return process.pid();
  }

  /** What each of paird's threads was doing, by jcmd of the JDK running the tests, for a report. */
  private String threadDump() {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Path text = Files.createTempFile("paird-threads", ".txt");
      try {
        Process dump =
            new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
                .redirectErrorStream(true)
                .redirectOutput(text.toFile())
                .start();
        if (!dump.waitFor(30, TimeUnit.SECONDS)) {
          dump.destroyForcibly();
        }
        return Files.readString(text, StandardCharsets.UTF_8);
      } finally {
        Files.deleteIfExists(text);
      }
    } catch (IOException e) {
      return "(no thread dump: " + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "(no thread dump: interrupted)";
    }
  }

  /** Stops paird; one that ignores SIGTERM is killed, and the test fails. */
  @Override
  public void close() throws Exception {
    if (!process.isAlive()) {
      notifications.close();
      return;
    }
    // Signals through the handle: Process.destroy() also closes paird's stderr, and the reader
    // would lose what paird logs as it stops, which is what a test that fails here needs to show.
    process.toHandle().destroy();
    if (!process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      String threads = threadDump();
      process.toHandle().destroyForcibly();
      process.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      reader.join(TimeUnit.SECONDS.toMillis(10));
      throw new AssertionError(
          "paird ignored SIGTERM and was killed; its log:\n"
              + log()
              + "\nits threads:\n"
              + threads);
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    notifications.close();
  }
}
