package dev.paird.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A pairing port that lies: JDK TLS 1.3 with ALPN {@code paird/1} on a loopback port, serving one
 * connection with a script of its own. It records every byte the client sent, so a test can tell
 * how far the client went.
 */
final class FakePairingServer implements AutoCloseable {
  /** What the server does once the handshake is done; it may read and write frames. */
  interface Script {
    void run(SSLSocket connection, ByteArrayOutputStream received) throws IOException;
  }

  private static final Duration BOUND = Duration.ofSeconds(30);

  private final SSLServerSocket listener;
  private final CompletableFuture<byte[]> received = new CompletableFuture<>();

  private FakePairingServer(SSLServerSocket listener) {
    this.listener = listener;
  }

  /**
   * Listens on 127.0.0.1, port chosen by the kernel. {@code askForClientCertificate} decides
   * whether the handshake carries a CertificateRequest, which every real paird sends.
   */
  static FakePairingServer start(SSLContext tls, boolean askForClientCertificate, Script script)
      throws IOException {
    return start(
        tls,
        parameters -> {
          parameters.setNeedClientAuth(askForClientCertificate);
          return parameters;
        },
        script);
  }

  /**
   * As above, with TLS set up as a paird server is (TLS 1.3, ALPN paird/1) and then changed by
   * {@code change}.
   */
  static FakePairingServer start(SSLContext tls, UnaryOperator<SSLParameters> change, Script script)
      throws IOException {
    SSLServerSocket listener =
        (SSLServerSocket)
            tls.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress());
    SSLParameters parameters = JdkTls.parameters(listener.getSSLParameters());
    parameters.setNeedClientAuth(true);
    listener.setSSLParameters(change.apply(parameters));
    FakePairingServer server = new FakePairingServer(listener);
    Thread thread = new Thread(() -> server.serve(script), "fake-pairing-server");
    thread.setDaemon(true);
    thread.start();
    return server;
  }

  /** {@code 127.0.0.1:PORT}, as pairctl takes it. */
  String address() {
    return "127.0.0.1:" + ((InetSocketAddress) listener.getLocalSocketAddress()).getPort();
  }

  /** Where it listens: 127.0.0.1 and the port the kernel chose. */
  InetSocketAddress socketAddress() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  /** Everything the client sent after the handshake, once the connection has ended. */
  byte[] received() throws Exception {
    return received.get(BOUND.toSeconds(), TimeUnit.SECONDS);
  }

  private void serve(Script script) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (SSLSocket connection = (SSLSocket) listener.accept()) {
      connection.setSoTimeout((int) BOUND.toMillis());
      connection.startHandshake();
      script.run(connection, bytes);
      InputStream rest;
      try {
        rest = connection.getInputStream();
      } catch (SocketException e) {
        rest = InputStream.nullInputStream(); // the script read to the end itself
      }
      readToEnd(rest, bytes);
      received.complete(bytes.toByteArray());
    } catch (IOException | RuntimeException e) {
      received.completeExceptionally(e);
    }
  }

  /** Reads exactly {@code count} bytes into {@code into}; fails if the client hangs up first. */
  static byte[] read(SSLSocket connection, int count, ByteArrayOutputStream into)
      throws IOException {
    byte[] bytes = connection.getInputStream().readNBytes(count);
    into.writeBytes(bytes);
    if (bytes.length < count) {
      throw new IOException("the client hung up after " + bytes.length + " of " + count + " bytes");
    }
    return bytes;
  }

  /** Reads until the client closes; a reset or a stall also ends it (the bytes are kept). */
  private static void readToEnd(InputStream in, ByteArrayOutputStream into) {
    byte[] buffer = new byte[512];
    try {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        into.write(buffer, 0, n);
      }
    } catch (IOException e) {
      // A reset or a stall ends the conversation as well as a close: what came is the record.
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
