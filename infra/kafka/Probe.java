// Fallback readiness probe for start.sh when kafkajs is not installed (no `npm ci` yet):
// asks the broker for cluster metadata with Kafka's own Admin client and exits 0 when it
// answers, 1 otherwise. Run as a single-file source program on the broker's class path:
//   java -cp "<jars>/*" infra/kafka/Probe.java 127.0.0.1:9092 [timeoutMs]
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

public class Probe {
    public static void main(String[] args) {
        String broker = args.length > 0 ? args[0] : "127.0.0.1:9092";
        int timeoutMs = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "accrual-kafka-probe");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(timeoutMs));
        props.put(AdminClientConfig.RETRIES_CONFIG, "0");
        try (Admin admin = Admin.create(props)) {
            int nodes = admin.describeCluster().nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
            System.exit(nodes > 0 ? 0 : 1);
        } catch (Exception e) {
            System.exit(1);
        }
    }
}
