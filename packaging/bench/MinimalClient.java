import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The floor pairctl is measured against: one control request over paird's Unix socket, the reply
 * printed, nothing else. Usage: java MinimalClient SOCKET COMMAND [ARGS_JSON].
 */
final class MinimalClient {
  public static void main(String[] args) throws Exception {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(args[0]));
      String arguments = args.length > 2 ? args[2] : "{}";
      String request =
          "{\"v\":1,\"command\":\"" + args[1] + "\",\"args\":" + arguments + ",\"id\":1}\n";
      channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream reply = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
      while (channel.read(buffer) > 0) {
        reply.write(buffer.array(), 0, buffer.position());
        if (buffer.get(buffer.position() - 1) == '\n') {
          break;
        }
        buffer.clear();
      }
      System.out.print(reply.toString(StandardCharsets.UTF_8));
    }
  }
}
