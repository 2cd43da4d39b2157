package org.updraft.ledger.postgresql.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.updraft.api.ledger.LedgerNode;

/** The nodes sharing one ledger database, as updraft:status lists them. */
class NodeRosterTest {

    private TestSchema db;

    @BeforeEach
    void schema() {
        db = TestSchema.fresh();
    }

    @AfterEach
    void drop() throws SQLException {
        db.close();
    }

    private NodeRoster roster(String id, Duration heartbeat) {
        return new NodeRoster(db.pool(db.driver(0), 2, 5000), db.name, id, heartbeat, true);
    }

    private static Map<String, String> states(List<LedgerNode> nodes) {
        return nodes.stream().collect(Collectors.toMap(LedgerNode::id, LedgerNode::state));
    }

    @Test
    void eachNodeSeesTheOthersAliveStoppedOrSilent() throws Exception {
        NodeRoster a = roster("node-a", Duration.ofSeconds(30));
        NodeRoster b = roster("node-b", Duration.ofMillis(200));
        NodeRoster c = roster("node-c", Duration.ofSeconds(30));
        a.beat();
        b.beat();
        c.beat();
        assertEquals(Map.of("node-a", "alive", "node-b", "alive", "node-c", "alive"), states(a.nodes()));
        assertEquals(a.nodes(), b.nodes(), "the same list from any node");

        c.stopped();
        Thread.sleep(800); // b misses three of its 200 ms beats, as a node killed with SIGKILL does
        a.beat();
        assertEquals(Map.of("node-a", "alive", "node-b", "silent", "node-c", "stopped"), states(a.nodes()));

        // b comes back: alive again, the same row; c restarts: a new start time
        LedgerNode before = a.nodes().get(2);
        b.beat();
        NodeRoster restarted = roster("node-c", Duration.ofSeconds(30));
        restarted.beat();
        List<LedgerNode> after = a.nodes();
        assertEquals(Map.of("node-a", "alive", "node-b", "alive", "node-c", "alive"), states(after));
        assertTrue(after.get(2).started().isAfter(before.started()), "the restart is recorded");
        assertEquals(3, db.query("SELECT count(*) FROM ledger_members"));
    }

    @Test
    void aNodeForgottenAfterAWeekJoinsAgainAtItsNextBeat() throws Exception {
        NodeRoster a = roster("node-a", Duration.ofSeconds(30));
        NodeRoster old = roster("node-old", Duration.ofSeconds(30));
        old.beat();
        db.execute("UPDATE ledger_members SET seen = now() - interval '8 days' WHERE node_id = 'node-old'");
        a.beat(); // a node's first beat forgets the nodes silent for a week
        assertEquals(Map.of("node-a", "alive"), states(a.nodes()));
        old.beat(); // its row is gone: it notices
        old.beat(); // and joins again
        assertEquals(Map.of("node-a", "alive", "node-old", "alive"), states(a.nodes()));
    }
}
