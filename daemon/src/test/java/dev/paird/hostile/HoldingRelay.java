package dev.paird.hostile;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay on loopback between a client paird and a server paird that passes the TLS records on
 * unchanged (TLS runs from end to end), the client's as they come and the server's one by one until
 * {@link Hold} says that the next must wait: from then on the server's records wait for {@link
 * #released}. It accepts one connection.
 */
final class HoldingRelay extends LoopbackRelay {
  /** Whether the server's next record, and every one after it, is held. */
  @FunctionalInterface
  interface Hold {
    boolean now(HoldingRelay relay) throws Exception;

    /**
     * From the first record the server sends after the client's first encrypted one: in TLS 1.3 the
     * client encrypts nothing before the server's whole first flight has reached it, and paird
     * issues no session tickets, so that record is the server's answer to the client's first frame.
     */
    Hold AFTER_THE_HANDSHAKE = relay -> relay.clientEncrypted;
  }

  /** Completed as the server's first held record is read. */
  final CompletableFuture<Void> holding = new CompletableFuture<>();

  /** Completed by the test: the server's records may go on to the client. */
  final CompletableFuture<Void> released = new CompletableFuture<>();

  /** Completed once the client's side of the connection has ended (closed or reset). */
  final CompletableFuture<Void> clientClosed = new CompletableFuture<>();

  /** Completed once the server's side has ended, or passing its records on failed. */
  final CompletableFuture<Void> passedBack = new CompletableFuture<>();

  private final Hold hold;

  /** Set before the client's first encrypted record is passed on. */
  private volatile boolean clientEncrypted;

  private HoldingRelay(ServerSocket listener, InetSocketAddress server, Hold hold) {
    super(listener, server);
    this.hold = hold;
  }

  /** A relay to {@code server}, listening on a loopback port of its own. */
  static HoldingRelay start(InetSocketAddress server, Hold hold) throws IOException {
    HoldingRelay relay =
        new HoldingRelay(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()), server, hold);
    relay.begin("relay-accept");
    return relay;
  }

  @Override
  void relay(Socket fromClient, Socket toServer) throws IOException {
    daemon(() -> passBack(toServer, fromClient), "relay-server-to-client");
    try {
      passOn(fromClient.getInputStream(), toServer.getOutputStream());
    } catch (IOException reset) {
      // a reset ends the client's side as a close does
    }
    clientClosed.complete(null);
  }

  @Override
  void failed(IOException e) {
    clientClosed.completeExceptionally(e);
    holding.completeExceptionally(e);
  }

  /** The client's records on to the server, noting the first encrypted one before it goes. */
  private void passOn(InputStream in, OutputStream out) throws IOException {
    DataInputStream records = new DataInputStream(in);
    for (byte[] record = record(records); record != null; record = record(records)) {
      if ((record[0] & 0xff) == APPLICATION_DATA) {
        clientEncrypted = true;
      }
      out.write(record);
      out.flush();
    }
  }

  /** The server's records on to the client, each once {@link #hold} says no, or once released. */
  private void passBack(Socket toServer, Socket fromClient) {
    try {
      DataInputStream in = new DataInputStream(toServer.getInputStream());
      OutputStream out = fromClient.getOutputStream();
      for (byte[] record = record(in); record != null; record = record(in)) {
        if (!holding.isDone() && hold.now(this)) {
          holding.complete(null);
        }
        if (holding.isDone()) {
          released.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
        out.write(record);
        out.flush();
      }
      passedBack.complete(null);
    } catch (IOException e) {
      passedBack.complete(null); // the client had closed: nothing reached it
    } catch (Exception e) {
      holding.completeExceptionally(e);
      passedBack.completeExceptionally(e);
    }
  }

  /** One TLS record, header and body, or null at the end of the stream. */
  private static byte[] record(DataInputStream in) throws IOException {
    byte[] header = new byte[5];
    try {
      in.readFully(header);
    } catch (EOFException end) {
      return null;
    }
    int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
    byte[] record = new byte[5 + length];
    System.arraycopy(header, 0, record, 0, 5);
    in.readFully(record, 5, length);
    return record;
  }

  @Override
  public void close() throws IOException {
    released.complete(null);
    super.close();
  }
}
