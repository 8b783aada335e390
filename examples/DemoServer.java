import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The demo's stand-in for an API the agent is allowed to call: answers on 127.0.0.1:PORT.
 * Run as a single-file program: java examples/DemoServer.java 18080
 */
public class DemoServer {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    server.createContext("/", exchange -> {
      byte[] body = ("hello from the demo API, you asked for " + exchange.getRequestURI() + "\n")
          .getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    System.out.println("demo API listening on 127.0.0.1:" + port);
  }
}
