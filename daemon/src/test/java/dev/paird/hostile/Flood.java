package dev.paird.hostile;

import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The attacker of packaging/flood-bench.sh: floods a paird pairing port from several source
 * addresses, each at a chosen rate (by default exactly paird's default rate limit, a burst of 30
 * then 30 a minute), with a mix of four kinds of hostile connection, and reports what became of
 * each connection as the attacker saw it. It uses nothing of paird's: the JDK's TLS 1.3 with a
 * certificate of its own and any server certificate accepted ({@link JdkTls}), as a stranger would.
 *
 * <p>Not a test: run by the script, as root inside a network namespace, with {@code java -cp
 * daemon/target/test-classes dev.paird.hostile.Flood --help}. Every connection is bounded in time
 * and the number of connections open at once by the thread pool, so the program ends within {@code
 * --seconds} plus a few seconds whatever the server does.
 */
// The counters are AtomicLongArrays indexed by the enums' ordinals, and the report walks
// values() in the same order, so the index and the row always agree.
@SuppressWarnings("EnumOrdinal")
public final class Flood {
  /** The kinds of hostile connection, taken in turn per source address. */
  enum Kind {
    /** Completes the TLS handshake, then sends nothing and waits to be dropped. */
    IDLE("idle"),
    /** Sends the first bytes of a real ClientHello and stalls. */
    SLOW_HELLO("slow_hello"),
    /** Full handshake, one PING, reads the answer, closes; the next one at once. */
    HANDSHAKE("handshake"),
    /** Full handshake, then a frame of an unknown type with random bytes. */
    GARBAGE("garbage"),
    /**
     * Full handshake, then a spake2 share for slot 255, which holds no key: the server answers with
     * a decoy share, and the connection holds its place as an exchange until dropped.
     */
    DECOY("decoy");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /** What became of one connection, as the attacker can tell. */
  enum Outcome {
    /** The TCP connection could not be made (timeout, backlog full, reset). */
    CONNECT_FAILED("no_connect"),
    /** Closed by the server at once, before any TLS: a per-source or rate limit. */
    REFUSED("refused"),
    /** Closed before the handshake's deadline, or told BUSY after it: made room for another. */
    EVICTED("evicted"),
    /** Closed at the handshake deadline, or told TIMEOUT after the handshake. */
    TIMED_OUT("timed_out"),
    /** Got the answer such a connection should get: NOT_TRUSTED to PING, MALFORMED to garbage. */
    ANSWERED("answered"),
    /** Closed after the handshake without any frame. */
    CLOSED("closed"),
    /** Anything else: a TLS alert, another error frame, an unexpected exception. */
    OTHER("other"),
    /** Still open when the run ended; closed by the attacker. */
    CUT("cut");

    final String label;

    Outcome(String label) {
      this.label = label;
    }
  }

  /**
   * A close this soon after connecting, before the handshake has finished, is the server's
   * admission refusing the connection: refusal happens right after accept, and nothing else the
   * server does closes a connection within its first second.
   */
  private static final long REFUSAL_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

  /** The ERROR frame reasons of docs/PROTOCOL.md §2 the attacker tells apart. */
  private static final int MALFORMED = 0x02;

  private static final int BUSY = 0x04;
  private static final int TIMEOUT = 0x05;
  private static final int NOT_TRUSTED = 0x06;

  private final Options options;
  private final SSLSocketFactory tls;
  private final byte[] helloStart;
  private final SecureRandom random = new SecureRandom();
  private final ExecutorService pool;
  private final Semaphore slots;

  /**
   * The handshakes computed at once. The scheduler shares the CPU between threads, not processes: a
   * thousand attacker threads computing handshakes side by side would leave paird and pairctl, on
   * the same machine, one thousandth of it, which a real attacker with machines of its own could
   * not do. A few at a time is the attacker's CPU of a core or two.
   */
  private final Semaphore handshakes;

  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLongArray attempts = new AtomicLongArray(Kind.values().length);
  private final AtomicLongArray opened = new AtomicLongArray(Kind.values().length);
  private final AtomicLongArray outcomes =
      new AtomicLongArray(Kind.values().length * Outcome.values().length);
  private volatile boolean stopping;

  /** How long connections were launched for: the attempts a source should have made follow. */
  private long floodNanos;

  private Flood(Options options, SSLContext context) throws Exception {
    this.options = options;
    this.tls = context.getSocketFactory();
    this.helloStart = clientHelloStart(context, options.helloBytes);
    this.slots = new Semaphore(options.threads);
    this.handshakes = new Semaphore(options.handshakeThreads);
    this.pool =
        Executors.newFixedThreadPool(
            options.threads,
            runnable -> {
              // Small stacks: hundreds of threads that mostly sit in a blocking read.
              Thread thread = new Thread(null, runnable, "flood", 256 * 1024);
              thread.setDaemon(true);
              return thread;
            });
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("flood: " + e.getMessage());
      System.err.println(Options.USAGE);
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.println(Options.USAGE);
      return;
    }
    Flood flood = new Flood(options, JdkTls.context(new SelfSigned(options.cert, options.key)));
    flood.run();
    flood.report(System.out);
    // The pool's threads are daemons, but a stuck handshake must not hold the JVM either.
    System.exit(0);
  }

  /** Launches connections for {@code --seconds}, then closes whatever is still open. */
  private void run() throws InterruptedException {
    int sources = options.sources.size();
    double[] tokens = new double[sources];
    int[] nextKind = new int[sources];
    Arrays.fill(tokens, options.burst);
    for (int i = 0; i < sources; i++) {
      // Sources start at different kinds so that the first burst is already a mix.
      nextKind[i] = i % options.mix.size();
    }
    double perNano = options.perMinute / 60e9;
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(options.seconds);
    long last = start;
    while (System.nanoTime() < end && !stopAsked()) {
      long now = System.nanoTime();
      double refill = (now - last) * perNano;
      last = now;
      for (int i = 0; i < sources; i++) {
        tokens[i] = Math.min(options.burst, tokens[i] + refill);
        while (tokens[i] >= 1) {
          tokens[i] -= 1;
          Kind kind = options.mix.get(nextKind[i]);
          nextKind[i] = (nextKind[i] + 1) % options.mix.size();
          launch(options.sources.get(i), kind);
        }
      }
      Thread.sleep(10);
    }
    floodNanos = System.nanoTime() - start;
    stopping = true;
    // Connections already answered or closed finish on their own within the grace period;
    // the rest are cut so that the run ends on time.
    pool.shutdown();
    if (!pool.awaitTermination(options.graceMillis, TimeUnit.MILLISECONDS)) {
      for (Socket socket : open) {
        closeQuietly(socket);
      }
      pool.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Whether the file of {@code --stop-file} exists: the run it floods has ended. */
  private boolean stopAsked() {
    return options.stopFile != null && Files.exists(options.stopFile);
  }

  private void launch(InetAddress source, Kind kind) {
    attempts.incrementAndGet(kind.ordinal());
    // A pool with no free thread means this machine cannot keep up with the chosen rate: the
    // connection is not made, and the report says how many were skipped.
    if (!slots.tryAcquire()) {
      skipped.incrementAndGet();
      return;
    }
    pool.execute(
        () -> {
          try {
            Outcome outcome = connection(source, kind);
            outcomes.incrementAndGet(kind.ordinal() * Outcome.values().length + outcome.ordinal());
          } finally {
            slots.release();
          }
        });
  }

  /** One connection of {@code kind} from {@code source}, from connect to close. */
  private Outcome connection(InetAddress source, Kind kind) {
    // The permit is taken before connecting: the server's clock starts at accept, and a
    // connection that waited for a permit after it would look evicted when it was refused.
    boolean handshaking = kind != Kind.SLOW_HELLO;
    if (handshaking) {
      try {
        if (!handshakes.tryAcquire(options.holdMillis, TimeUnit.MILLISECONDS)) {
          return Outcome.OTHER;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Outcome.CUT;
      }
    }
    Socket raw = new Socket();
    open.add(raw);
    long connected;
    try {
      try {
        raw.bind(new InetSocketAddress(source, 0));
        raw.connect(options.target, options.connectTimeoutMillis);
        raw.setSoTimeout(options.holdMillis);
        raw.setTcpNoDelay(true);
      } catch (IOException e) {
        if (handshaking) {
          handshakes.release();
        }
        return stopping ? Outcome.CUT : Outcome.CONNECT_FAILED;
      }
      opened.incrementAndGet(kind.ordinal());
      connected = System.nanoTime();
      if (kind == Kind.SLOW_HELLO) {
        return slowHello(raw, connected);
      }
      SSLSocket socket;
      try {
        socket =
            (SSLSocket)
                tls.createSocket(
                    raw, options.target.getHostString(), options.target.getPort(), true);
        socket.setSSLParameters(JdkTls.parameters(socket.getSSLParameters()));
        socket.startHandshake();
      } catch (IOException e) {
        return closedBeforeHandshake(e, connected);
      } finally {
        if (handshaking) {
          handshakes.release();
        }
      }
      return afterHandshake(socket, kind);
    } finally {
      closeQuietly(raw);
      open.remove(raw);
    }
  }

  private Outcome slowHello(Socket raw, long connected) {
    try {
      raw.getOutputStream().write(helloStart);
      raw.getOutputStream().flush();
      int read = raw.getInputStream().read();
      // The server has nothing to say to half a ClientHello; any byte is worth noticing.
      return read < 0 ? closedBeforeHandshake(new EOFException(), connected) : Outcome.OTHER;
    } catch (IOException e) {
      return closedBeforeHandshake(e, connected);
    }
  }

  private Outcome closedBeforeHandshake(IOException e, long connected) {
    if (stopping) {
      return Outcome.CUT;
    }
    if (e instanceof SocketTimeoutException) {
      return Outcome.OTHER; // held for --hold without the server closing it
    }
    long elapsed = System.nanoTime() - connected;
    if (elapsed < REFUSAL_WINDOW_NANOS) {
      return Outcome.REFUSED;
    }
    return elapsed >= options.handshakeTimeoutNanos ? Outcome.TIMED_OUT : Outcome.EVICTED;
  }

  private Outcome afterHandshake(SSLSocket socket, Kind kind) {
    try {
      OutputStream out = socket.getOutputStream();
      switch (kind) {
        case IDLE -> {}
        case HANDSHAKE -> out.write(new byte[] {0x21, 0, 0});
        case GARBAGE -> out.write(garbageFrame());
        case DECOY -> out.write(Wire.clientShare(255, P256.randomPoint()));
        default -> throw new IllegalStateException(kind.label);
      }
      out.flush();
      if (kind == Kind.DECOY
          && socket.getInputStream().readNBytes(3 + 65).length < 3 + 65) { // the decoy share
        return stopping ? Outcome.CUT : Outcome.CLOSED;
      }
      int reason = errorReason(socket.getInputStream());
      if (reason < 0) {
        return stopping ? Outcome.CUT : Outcome.CLOSED;
      }
      return switch (reason) {
        case BUSY -> Outcome.EVICTED;
        case TIMEOUT -> Outcome.TIMED_OUT;
        case NOT_TRUSTED -> kind == Kind.HANDSHAKE ? Outcome.ANSWERED : Outcome.OTHER;
        case MALFORMED -> kind == Kind.GARBAGE ? Outcome.ANSWERED : Outcome.OTHER;
        default -> Outcome.OTHER;
      };
    } catch (SocketTimeoutException e) {
      return Outcome.OTHER; // held for --hold without the server closing it
    } catch (IOException e) {
      // A reset instead of a close: the server closed without reading everything sent.
      return stopping ? Outcome.CUT : Outcome.CLOSED;
    }
  }

  /** A frame of type 0x55, which no version of the protocol uses, with a random body. */
  private byte[] garbageFrame() {
    byte[] frame = new byte[3 + 16];
    random.nextBytes(frame);
    frame[0] = 0x55;
    frame[1] = 0;
    frame[2] = 16;
    return frame;
  }

  /**
   * The reason byte of the ERROR frame the server sends; -1 if it closes without a whole frame;
   * 0x100 + type if it sends a frame of another type.
   */
  private static int errorReason(InputStream in) throws IOException {
    byte[] header = new byte[3];
    if (in.readNBytes(header, 0, 3) < 3) {
      return -1;
    }
    int type = header[0] & 0xff;
    int length = ((header[1] & 0xff) << 8) | (header[2] & 0xff);
    byte[] body = new byte[Math.min(length, 256)];
    if (in.readNBytes(body, 0, body.length) < body.length) {
      return -1;
    }
    return type == 0x7f && length == 1 ? body[0] & 0xff : 0x100 + type;
  }

  /** The first {@code count} bytes of a real TLS 1.3 ClientHello, as the JDK would send it. */
  private static byte[] clientHelloStart(SSLContext context, int count) throws IOException {
    SSLEngine engine = context.createSSLEngine("paird", 7247);
    engine.setUseClientMode(true);
    engine.setSSLParameters(JdkTls.parameters(engine.getSSLParameters()));
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.beginHandshake();
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    byte[] hello = new byte[Math.min(count, out.remaining())];
    out.get(hello);
    return hello;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing is all that is left to do with it.
    }
  }

  /**
   * One line per kind, tab-separated, with a header line: the script reads it. Then one JSON line
   * with the same figures.
   */
  private void report(PrintStream out) {
    List<String> columns = new ArrayList<>(List.of("kind", "attempted", "opened"));
    for (Outcome outcome : Outcome.values()) {
      columns.add(outcome.label);
    }
    out.println(String.join("\t", columns));
    StringBuilder json =
        new StringBuilder("{\"sources\":")
            .append(options.sources.size())
            .append(",\"seconds\":")
            .append(String.format(Locale.ROOT, "%.1f", floodNanos / 1e9))
            .append(",\"per_minute\":")
            .append(options.perMinute)
            .append(",\"skipped\":")
            .append(skipped.get())
            .append(",\"kinds\":{");
    for (Kind kind : Kind.values()) {
      Map<String, Long> row = new LinkedHashMap<>();
      row.put("attempted", attempts.get(kind.ordinal()));
      row.put("opened", opened.get(kind.ordinal()));
      for (Outcome outcome : Outcome.values()) {
        row.put(
            outcome.label,
            outcomes.get(kind.ordinal() * Outcome.values().length + outcome.ordinal()));
      }
      List<String> cells = new ArrayList<>(List.of(kind.label));
      List<String> fields = new ArrayList<>();
      row.forEach(
          (name, value) -> {
            cells.add(Long.toString(value));
            fields.add("\"" + name + "\":" + value);
          });
      out.println(String.join("\t", cells));
      if (kind.ordinal() > 0) {
        json.append(',');
      }
      json.append('"')
          .append(kind.label)
          .append("\":{")
          .append(String.join(",", fields))
          .append('}');
    }
    out.println("skipped\t" + skipped.get());
    out.printf(Locale.ROOT, "seconds\t%.1f%n", floodNanos / 1e9);
    out.println(json.append("}}"));
    out.flush();
  }

  /** The command line. */
  private static final class Options {
    static final String USAGE =
        String.join(
            "\n",
            "usage: Flood --target ADDRESS:PORT --sources ADDRESS[,ADDRESS...] --cert PEM --key PEM",
            "             [--seconds 60] [--per-minute 30] [--burst 30] [--mix idle,slow_hello,...]",
            "             [--threads 2000] [--handshakes 2] [--hold 40] [--handshake-timeout 10]",
            "             [--hello-bytes 12] [--stop-file PATH]",
            "  Each source address opens connections at --per-minute after a burst of --burst,",
            "  taking the kinds of --mix in turn (default: idle,slow_hello,handshake,garbage,decoy).",
            "  --handshakes: TLS handshakes computed at once (their CPU is the attacker's);",
            "  --hold: seconds a connection waits for the server before giving up;",
            "  --handshake-timeout: the server's, to tell a timeout from an eviction;",
            "  --stop-file: stop before --seconds are up once this file exists.");

    InetSocketAddress target;
    List<InetAddress> sources = new ArrayList<>();
    Path cert;
    Path key;
    int seconds = 60;
    double perMinute = 30;
    double burst = 30;
    List<Kind> mix = List.of(Kind.values());
    // Enough for every source's first burst at once (50 × 30) and the connections after it.
    int threads = 2000;
    int handshakeThreads = 2;
    int holdMillis = 40_000;
    long handshakeTimeoutNanos = TimeUnit.SECONDS.toNanos(10);
    int helloBytes = 12;
    int connectTimeoutMillis = 5_000;
    long graceMillis = 2_000;
    Path stopFile;

    /** The options, or null if help was asked for. */
    static Options parse(String[] args) throws IOException {
      Options options = new Options();
      for (int i = 0; i < args.length; i++) {
        String name = args[i];
        if (name.equals("--help") || name.equals("-h")) {
          return null;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(name + " needs a value");
        }
        String value = args[++i];
        switch (name) {
          case "--target" -> {
            int colon = value.lastIndexOf(':');
            if (colon < 0) {
              throw new IllegalArgumentException("--target: ADDRESS:PORT, not " + value);
            }
            options.target =
                new InetSocketAddress(
                    InetAddress.getByName(value.substring(0, colon).replaceAll("[\\[\\]]", "")),
                    Integer.parseInt(value.substring(colon + 1)));
          }
          case "--sources" -> {
            for (String address : value.split(",", -1)) {
              options.sources.add(InetAddress.getByName(address.trim()));
            }
          }
          case "--cert" -> options.cert = Path.of(value);
          case "--key" -> options.key = Path.of(value);
          case "--stop-file" -> options.stopFile = Path.of(value);
          case "--seconds" -> options.seconds = positive(name, value);
          case "--per-minute" -> options.perMinute = positive(name, value);
          case "--burst" -> options.burst = Math.max(1, positive(name, value));
          case "--threads" -> options.threads = positive(name, value);
          case "--handshakes" -> options.handshakeThreads = positive(name, value);
          case "--hold" -> options.holdMillis = positive(name, value) * 1000;
          case "--handshake-timeout" ->
              options.handshakeTimeoutNanos = TimeUnit.SECONDS.toNanos(positive(name, value));
          case "--hello-bytes" -> options.helloBytes = positive(name, value);
          case "--mix" -> {
            List<Kind> mix = new ArrayList<>();
            for (String label : value.split(",", -1)) {
              mix.add(kind(label.trim()));
            }
            options.mix = List.copyOf(mix);
          }
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
      if (options.target == null
          || options.sources.isEmpty()
          || options.cert == null
          || options.key == null) {
        throw new IllegalArgumentException("--target, --sources, --cert and --key are required");
      }
      return options;
    }

    private static Kind kind(String label) {
      for (Kind kind : Kind.values()) {
        if (kind.label.equals(label)) {
          return kind;
        }
      }
      throw new IllegalArgumentException("--mix: no kind " + label);
    }

    private static int positive(String name, String value) {
      int parsed;
      try {
        parsed = Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + ": a whole number, not " + value);
      }
      if (parsed < 1) {
        throw new IllegalArgumentException(name + ": at least 1, not " + value);
      }
      return parsed;
    }
  }
}
