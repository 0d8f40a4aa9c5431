package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A TLS 1.3 server of the JDK (which issues tickets) on loopback, for {@code connections}
 * connections: each ClientHello is read from the TCP stream first and its extension types recorded,
 * then the handshake runs over the same socket; the client's first frame is answered
 * ERROR(REJECTED).
 */
final class TicketServer implements AutoCloseable {
  private static final Duration BOUND = Duration.ofSeconds(10);

  private final SSLContext tls;
  private final ServerSocket listener;
  private final List<List<Integer>> extensions = Collections.synchronizedList(new ArrayList<>());
  private final Thread thread;

  TicketServer(SSLContext tls, int connections) throws IOException {
    this.tls = tls;
    listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
    thread =
        new Thread(
            () -> {
              for (int i = 0; i < connections; i++) {
                try (Socket raw = listener.accept()) {
                  serve(raw);
                } catch (IOException e) {
                  return;
                }
              }
            },
            "ticket-server");
    thread.setDaemon(true);
    thread.start();
  }

  InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
  }

  List<List<Integer>> extensions() throws InterruptedException {
    thread.join(BOUND.toMillis() * 4);
    return extensions;
  }

  private void serve(Socket raw) throws IOException {
    raw.setSoTimeout((int) BOUND.toMillis());
    DataInputStream in = new DataInputStream(raw.getInputStream());
    byte[] header = new byte[5];
    in.readFully(header);
    byte[] body = new byte[((header[3] & 0xff) << 8) | (header[4] & 0xff)];
    in.readFully(body);
    extensions.add(clientHelloExtensions(header, body));
    byte[] record = new byte[header.length + body.length];
    System.arraycopy(header, 0, record, 0, header.length);
    System.arraycopy(body, 0, record, header.length, body.length);
    try (SSLSocket socket =
        (SSLSocket)
            tls.getSocketFactory().createSocket(raw, new ByteArrayInputStream(record), true)) {
      SSLParameters parameters = JdkTls.parameters(socket.getSSLParameters());
      parameters.setNeedClientAuth(true);
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      InputStream frames = socket.getInputStream();
      frames.readNBytes(3 + 66); // the client's share
      socket.getOutputStream().write(Wire.ERROR_REJECTED);
      socket.getOutputStream().flush();
    } catch (IOException e) {
      // the client may close first; the ClientHello is recorded either way
    }
  }

  /** The extension types of the ClientHello in one TLS record (RFC 8446, 4.1.2). */
  private static List<Integer> clientHelloExtensions(byte[] header, byte[] body) {
    assertThat(header[0]).as("a handshake record").isEqualTo((byte) 0x16);
    assertThat(body[0]).as("a ClientHello").isEqualTo((byte) 1);
    int at = 4 + 2 + 32; // handshake header, legacy_version, random
    at += 1 + (body[at] & 0xff); // legacy_session_id
    at += 2 + (((body[at] & 0xff) << 8) | (body[at + 1] & 0xff)); // cipher_suites
    at += 1 + (body[at] & 0xff); // legacy_compression_methods
    int end = at + 2 + (((body[at] & 0xff) << 8) | (body[at + 1] & 0xff));
    at += 2;
    List<Integer> types = new ArrayList<>();
    while (at + 4 <= end) {
      types.add(((body[at] & 0xff) << 8) | (body[at + 1] & 0xff));
      at += 4 + (((body[at + 2] & 0xff) << 8) | (body[at + 3] & 0xff));
    }
    return types;
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
