package dev.paird.systemtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Checks the system test makes without pairctl, so that they hold whatever state pairctl is
 * in: whether a user may connect to the control socket, and whether a device's pairing port
 * completes a TLS handshake. Exit status 0 on success, 4 when the socket refuses the user
 * (pairctl's "permission denied"), 3 when it cannot be reached, 6 when the peer fails.
 *
 * <pre>
 *   java -cp probe.jar dev.paird.systemtest.Probe unix /run/paird/control.sock
 *   java -cp probe.jar dev.paird.systemtest.Probe tls 10.77.0.1 7247
 * </pre>
 */
public final class Probe {
  private Probe() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("unix")) {
      System.exit(unix(args[1]));
    } else if (args.length == 3 && args[0].equals("tls")) {
      System.exit(tls(args[1], Integer.parseInt(args[2])));
    }
    System.err.println("usage: Probe unix PATH | Probe tls HOST PORT");
    System.exit(2);
  }

  private static int unix(String path) {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
      ch.write(ByteBuffer.wrap("{\"command\":\"status\"}\n".getBytes(StandardCharsets.UTF_8)));
      ByteBuffer reply = ByteBuffer.allocate(4096);
      ch.read(reply);
      reply.flip();
      System.out.println("connected to " + path + "; reply: "
          + StandardCharsets.UTF_8.decode(reply).toString().strip());
      return 0;
    } catch (IOException e) {
      System.out.println("cannot connect to " + path + ": " + e.getMessage());
      String message = String.valueOf(e.getMessage());
      return message.contains("Permission denied") || message.contains("Access denied") ? 4 : 3;
    }
  }

  private static int tls(String host, int port) throws Exception {
    // Accept any certificate: this checks reachability and the handshake, not trust.
    TrustManager acceptAll = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {acceptAll}, null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(host, port), 10_000);
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      X509Certificate peer = (X509Certificate) socket.getSession().getPeerCertificates()[0];
      String fingerprint = HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(peer.getEncoded()));
      String line = new BufferedReader(new InputStreamReader(
          socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
      System.out.println("TLS to " + host + ":" + port + " (" + socket.getSession().getProtocol()
          + "), certificate sha256 " + fingerprint + (line == null ? "" : "; said: " + line));
      return 0;
    } catch (IOException e) {
      System.out.println("TLS to " + host + ":" + port + " failed: " + e);
      return 6;
    }
  }
}
