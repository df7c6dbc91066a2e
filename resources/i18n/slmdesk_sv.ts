<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="sv_SE" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>Operating system</source>
        <translation>Operativsystem</translation>
    </message>
    <message>
        <source>not installed</source>
        <translation>inte installerat</translation>
    </message>
    <message>
        <source>packaged {date} from commit {commit} ({platform})</source>
        <translation>paketerad {date} från incheckning {commit} ({platform})</translation>
    </message>
    <message>
        <source>from source</source>
        <translation>från källkod</translation>
    </message>
    <message>
        <source>Build</source>
        <translation>Bygge</translation>
    </message>
    <message>
        <source>portable (runtime CPU dispatch)</source>
        <translation>portabel (CPU-variant väljs vid körning)</translation>
    </message>
    <message>
        <source>not built by slmdesk&apos;s recipe</source>
        <translation>inte byggd med slmdesks recept</translation>
    </message>
    <message>
        <source>, recipe {key}</source>
        <translation>, recept {key}</translation>
    </message>
    <message>
        <source>llama.cpp build</source>
        <translation>llama.cpp-bygge</translation>
    </message>
    <message>
        <source>llama.cpp runs on</source>
        <translation>llama.cpp körs på</translation>
    </message>
    <message>
        <source>not probed yet (open the Library&apos;s Fit panel once)</source>
        <translation>inte undersökt än (öppna Bibliotekets passningspanel en gång)</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Obs</translation>
    </message>
    <message>
        <source>About slmdesk</source>
        <translation>Om slmdesk</translation>
    </message>
    <message>
        <source>Small language models on your own machine: find, fit, download, quantize, chat and benchmark, offline.</source>
        <translation>Små språkmodeller på din egen dator: hitta, se vad som passar, ladda ner, kvantisera, chatta och prestandatesta, helt offline.</translation>
    </message>
</context>
<context>
    <name>ApiServerBox</name>
    <message>
        <source>{host} is not a loopback address: other computers on the network can reach the server. Every request must carry the API key; keep it secret, and make a new one if it leaks.</source>
        <translation>{host} är ingen loopback-adress: andra datorer i nätverket kan nå servern. Varje förfrågan måste ha med API-nyckeln; håll den hemlig och skapa en ny om den läcker ut.</translation>
    </message>
    <message>
        <source>Local API server</source>
        <translation>Lokal API-server</translation>
    </message>
    <message>
        <source>Serve models to other programs over an OpenAI-compatible API</source>
        <translation>Låt andra program använda modellerna via ett OpenAI-kompatibelt API</translation>
    </message>
    <message>
        <source>Enable the local API server</source>
        <translation>Slå på den lokala API-servern</translation>
    </message>
    <message>
        <source>Programs that speak the OpenAI API (the openai package, editors, notebooks) can use the models in your Library. Each model loads with its load settings, in an engine process of its own.</source>
        <translation>Program som talar OpenAI:s API (paketet openai, redigerare, anteckningsböcker) kan använda modellerna i ditt bibliotek. Varje modell läses in med sina inläsningsinställningar, i en egen motorprocess.</translation>
    </message>
    <message>
        <source>Address to listen on</source>
        <translation>Adress att lyssna på</translation>
    </message>
    <message>
        <source>127.0.0.1: this computer only. Another address of this computer reaches the network.</source>
        <translation>127.0.0.1: bara den här datorn. En annan adress på den här datorn nås från nätverket.</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>Port:</translation>
    </message>
    <message>
        <source>Any free port</source>
        <translation>Valfri ledig port</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>Port</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Verkställ</translation>
    </message>
    <message>
        <source>Apply the address and port</source>
        <translation>Verkställ adressen och porten</translation>
    </message>
    <message>
        <source>Save the address and port; a running server restarts on them.</source>
        <translation>Spara adressen och porten; en server som körs startas om på dem.</translation>
    </message>
    <message>
        <source>Network warning</source>
        <translation>Nätverksvarning</translation>
    </message>
    <message>
        <source>Base URL</source>
        <translation>Bas-URL</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopiera</translation>
    </message>
    <message>
        <source>Copy the base URL</source>
        <translation>Kopiera bas-URL:en</translation>
    </message>
    <message>
        <source>Shown once the server has started (created the first time)</source>
        <translation>Visas när servern har startat (skapas första gången)</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API-nyckel</translation>
    </message>
    <message>
        <source>Copy the API key</source>
        <translation>Kopiera API-nyckeln</translation>
    </message>
    <message>
        <source>New key</source>
        <translation>Ny nyckel</translation>
    </message>
    <message>
        <source>Make a new API key</source>
        <translation>Skapa en ny API-nyckel</translation>
    </message>
    <message>
        <source>Replace the key: programs that use the old one must be given the new one.</source>
        <translation>Byt ut nyckeln: program som använder den gamla måste få den nya.</translation>
    </message>
    <message>
        <source>Where the key is kept</source>
        <translation>Var nyckeln förvaras</translation>
    </message>
    <message>
        <source>API server status</source>
        <translation>API-serverns status</translation>
    </message>
    <message>
        <source>API server message</source>
        <translation>API-serverns meddelande</translation>
    </message>
    <message>
        <source>Listen on:</source>
        <translation>Lyssna på:</translation>
    </message>
    <message>
        <source>Base URL:</source>
        <translation>Bas-URL:</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API-nyckel:</translation>
    </message>
    <message>
        <source>Key kept in:</source>
        <translation>Nyckeln förvaras i:</translation>
    </message>
    <message>
        <source>Status:</source>
        <translation>Status:</translation>
    </message>
    <message>
        <source>Cannot save the settings to {path}: {reason}.</source>
        <translation>Kan inte spara inställningarna i {path}: {reason}.</translation>
    </message>
    <message numerus="yes">
        <source>Running on {address}: %n request(s) served, {waiting} waiting.</source>
        <translation>
            <numerusform>Körs på {address}: %n förfrågan besvarad, {waiting} väntar.</numerusform>
            <numerusform>Körs på {address}: %n förfrågningar besvarade, {waiting} väntar.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Running on {address}: %n request(s) served.</source>
        <translation>
            <numerusform>Körs på {address}: %n förfrågan besvarad.</numerusform>
            <numerusform>Körs på {address}: %n förfrågningar besvarade.</numerusform>
        </translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Startar…</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>Stoppar…</translation>
    </message>
    <message>
        <source>Not running: {error}</source>
        <translation>Körs inte: {error}</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Stoppad.</translation>
    </message>
    <message>
        <source>Chosen when the key is created: the system keyring if there is one, else a file only you can read.</source>
        <translation>Väljs när nyckeln skapas: systemets nyckelring om det finns en, annars en fil som bara du kan läsa.</translation>
    </message>
    <message>
        <source>Base URL copied to the clipboard.</source>
        <translation>Bas-URL:en har kopierats till urklipp.</translation>
    </message>
    <message>
        <source>API key copied to the clipboard.</source>
        <translation>API-nyckeln har kopierats till urklipp.</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Inventory restored from the backup taken {taken} UTC; the damaged file is kept as {name}.</source>
        <translation>Inventariet återställdes från säkerhetskopian tagen {taken} UTC; den skadade filen sparas som {name}.</translation>
    </message>
    <message>
        <source>Inventory restored from the backup taken {taken} UTC.</source>
        <translation>Inventariet återställdes från säkerhetskopian tagen {taken} UTC.</translation>
    </message>
    <message>
        <source>Started with an empty inventory; the damaged one is kept as {name}.</source>
        <translation>Startade med ett tomt inventarie; det skadade sparas som {name}.</translation>
    </message>
    <message>
        <source>slmdesk cannot start</source>
        <translation>slmdesk kan inte starta</translation>
    </message>
    <message>
        <source>slmdesk: unexpected error</source>
        <translation>slmdesk: oväntat fel</translation>
    </message>
    <message>
        <source>{kind}: {error}

Details are in the log.</source>
        <translation>{kind}: {error}

Detaljer finns i loggen.</translation>
    </message>
    <message>
        <source>Cannot create its folders: {error}</source>
        <translation>Kan inte skapa sina mappar: {error}</translation>
    </message>
</context>
<context>
    <name>ArtifactDetails</name>
    <message>
        <source>Name</source>
        <translation>Namn</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>Arkitektur</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Parametrar</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>Kvantisering</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Storlek</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>Kontextlängd</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>Lager</translation>
    </message>
    <message>
        <source>Attention heads</source>
        <translation>Attention-huvuden</translation>
    </message>
    <message>
        <source>KV heads</source>
        <translation>KV-huvuden</translation>
    </message>
    <message>
        <source>Embedding length</source>
        <translation>Inbäddningslängd</translation>
    </message>
    <message>
        <source>Vocabulary</source>
        <translation>Vokabulär</translation>
    </message>
    <message>
        <source>Sliding window</source>
        <translation>Glidande fönster</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Källa</translation>
    </message>
    <message>
        <source>Added</source>
        <translation>Tillagd</translation>
    </message>
    <message>
        <source>&lt;i&gt;Select a model to see its details.&lt;/i&gt;</source>
        <translation>&lt;i&gt;Välj en modell för att se dess detaljer.&lt;/i&gt;</translation>
    </message>
    <message>
        <source>{field}:</source>
        <translation>{field}:</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>Sökväg</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>Visa i mapp</translation>
    </message>
    <message>
        <source>Open the folder holding the model&apos;s files</source>
        <translation>Öppna mappen som innehåller modellens filer</translation>
    </message>
    <message>
        <source>Path:</source>
        <translation>Sökväg:</translation>
    </message>
    <message>
        <source>Provenance:</source>
        <translation>Ursprung:</translation>
    </message>
    <message>
        <source>Verify checksum</source>
        <translation>Verifiera</translation>
    </message>
    <message>
        <source>Verify the checksum of this model</source>
        <translation>Verifiera den här modellens kontrollsumma</translation>
    </message>
    <message>
        <source>SHA-256:</source>
        <translation>SHA-256:</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Detaljer</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>Chattmall</translation>
    </message>
    <message>
        <source>Model details</source>
        <translation>Modelldetaljer</translation>
    </message>
    <message>
        <source>Lineage</source>
        <translation>Härstamning</translation>
    </message>
    <message numerus="yes">
        <source>{format}, split in %n part(s)</source>
        <translation>
            <numerusform>{format}, uppdelad i %n del</numerusform>
            <numerusform>{format}, uppdelad i %n delar</numerusform>
        </translation>
    </message>
    <message>
        <source>{short} ({exact})</source>
        <translation>{short} ({exact})</translation>
    </message>
    <message>
        <source>{size} ({bytes} bytes)</source>
        <translation>{size} ({bytes} byte)</translation>
    </message>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln token</numerusform>
        </translation>
    </message>
    <message>
        <source>none</source>
        <comment>no sliding window</comment>
        <translation>inget</translation>
    </message>
    <message>
        <source>(verified {time})</source>
        <translation>(verifierad {time})</translation>
    </message>
    <message>
        <source>(from the store)</source>
        <translation>(från lagringsplatsen)</translation>
    </message>
    <message>
        <source>Not computed yet.</source>
        <translation>Inte beräknad än.</translation>
    </message>
    <message>
        <source>This model has no chat template in its header. slmdesk will use a fallback template (ChatML) and show a warning when you chat with it.</source>
        <translation>Den här modellen har ingen chattmall i sitt huvud. slmdesk använder en reservmall (ChatML) och visar en varning när du chattar med den.</translation>
    </message>
</context>
<context>
    <name>ArtifactSourceModel</name>
    <message>
        <source>Read the library</source>
        <translation>Läs biblioteket</translation>
    </message>
    <message>
        <source>{format} (split)</source>
        <translation>{format} (uppdelad)</translation>
    </message>
</context>
<context>
    <name>Artifacts</name>
    <message>
        <source>Folder</source>
        <translation>Mapp</translation>
    </message>
    <message>
        <source>Hugging Face cache</source>
        <translation>Hugging Face-cache</translation>
    </message>
    <message>
        <source>Added file</source>
        <translation>Tillagd fil</translation>
    </message>
    <message>
        <source>Starter model</source>
        <translation>Startmodell</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>ok</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>saknas</translation>
    </message>
    <message>
        <source>incomplete</source>
        <translation>ofullständig</translation>
    </message>
    <message>
        <source>corrupt</source>
        <translation>skadad</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Namn</translation>
    </message>
    <message>
        <source>Fit here</source>
        <translation>Passar här</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Parametrar</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>Kvantisering</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Storlek</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Kontext</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>Arkitektur</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Källa</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Added</source>
        <translation>Tillagd</translation>
    </message>
</context>
<context>
    <name>BenchCharts</name>
    <message>
        <source>{count} t</source>
        <comment>threads, abbreviated</comment>
        <translation>{count} tr</translation>
    </message>
</context>
<context>
    <name>BenchModels</name>
    <message>
        <source>not available</source>
        <translation>inte tillgänglig</translation>
    </message>
    <message>
        <source>repack on</source>
        <translation>ompackning på</translation>
    </message>
    <message>
        <source>repack off</source>
        <translation>ompackning av</translation>
    </message>
    <message>
        <source>threads: {count}</source>
        <translation>trådar: {count}</translation>
    </message>
    <message>
        <source>run {id}</source>
        <translation>körning {id}</translation>
    </message>
</context>
<context>
    <name>BenchPreview</name>
    <message>
        <source>slmdesk — Benchmark (preview, fake data)</source>
        <translation>slmdesk — Prestandatest (förhandsvisning, påhittade data)</translation>
    </message>
</context>
<context>
    <name>BenchQueueView</name>
    <message>
        <source>Benchmark queue</source>
        <translation>Kö för prestandatest</translation>
    </message>
</context>
<context>
    <name>BenchResultsView</name>
    <message>
        <source>Results</source>
        <translation>Resultat</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Jämför</translation>
    </message>
    <message>
        <source>Select two runs to compare them (change in %)</source>
        <translation>Markera två körningar för att jämföra dem (förändring i %)</translation>
    </message>
    <message>
        <source>Compare the two selected runs</source>
        <translation>Jämför de två markerade körningarna</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportera…</translation>
    </message>
    <message>
        <source>Export the selected runs (all runs if none is selected) as CSV, JSON or Markdown</source>
        <translation>Exportera de markerade körningarna (alla om ingen är markerad) som CSV, JSON eller Markdown</translation>
    </message>
    <message>
        <source>Export benchmark results</source>
        <translation>Exportera testresultat</translation>
    </message>
    <message>
        <source>Delete runs</source>
        <translation>Radera körningar</translation>
    </message>
    <message>
        <source>Delete the selected runs from the history</source>
        <translation>Radera de markerade körningarna ur historiken</translation>
    </message>
    <message>
        <source>Benchmark results</source>
        <translation>Resultat av prestandatest</translation>
    </message>
    <message>
        <source>Benchmark charts</source>
        <translation>Diagram över prestandatest</translation>
    </message>
    <message>
        <source>History figure</source>
        <translation>Mått i historiken</translation>
    </message>
    <message>
        <source>The figure the history chart plots</source>
        <translation>Måttet som historikdiagrammet visar</translation>
    </message>
    <message>
        <source>Comparison of two runs</source>
        <translation>Jämförelse av två körningar</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Hastighet</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Historik</translation>
    </message>
    <message>
        <source>Select two runs in the table to compare them.</source>
        <translation>Markera två körningar i tabellen för att jämföra dem.</translation>
    </message>
    <message>
        <source>A: {run_a}
B: {run_b}</source>
        <translation>A: {run_a}
B: {run_b}</translation>
    </message>
</context>
<context>
    <name>BenchSettingsForm</name>
    <message>
        <source>Settings</source>
        <translation>Inställningar</translation>
    </message>
    <message>
        <source>Quick: pp128 / tg32 × 3</source>
        <translation>Snabb: pp128 / tg32 × 3</translation>
    </message>
    <message>
        <source>Standard: pp512 / tg128 × 5 (llama-bench defaults)</source>
        <translation>Standard: pp512 / tg128 × 5 (llama-benchs standardvärden)</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>Anpassad</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>Förval</translation>
    </message>
    <message>
        <source>Quick and Standard fill in the sizes; Custom lets you set every one</source>
        <translation>Snabb och Standard fyller i storlekarna; med Anpassad anger du var och en själv</translation>
    </message>
    <message>
        <source>Prompt tokens (pp)</source>
        <translation>Prompttoken (pp)</translation>
    </message>
    <message>
        <source>Generated tokens (tg)</source>
        <translation>Genererade token (tg)</translation>
    </message>
    <message>
        <source>Repetitions</source>
        <translation>Upprepningar</translation>
    </message>
    <message>
        <source>Depth (tokens already in the KV cache)</source>
        <translation>Djup (token som redan ligger i KV-cachen)</translation>
    </message>
    <message>
        <source>physical cores; or a sweep: 1,2,4</source>
        <translation>fysiska kärnor; eller en serie: 1,2,4</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Trådar</translation>
    </message>
    <message>
        <source>Empty: the physical cores; a list such as 1,2,4 runs one benchmark per thread count</source>
        <translation>Tomt: de fysiska kärnorna; en lista som 1,2,4 kör ett test per antal trådar</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>Batchstorlek</translation>
    </message>
    <message>
        <source>Micro-batch size</source>
        <translation>Mikrobatchstorlek</translation>
    </message>
    <message>
        <source>Context length (0 = pp + tg + depth)</source>
        <translation>Kontextlängd (0 = pp + tg + djup)</translation>
    </message>
    <message>
        <source>auto</source>
        <comment>flash attention</comment>
        <translation>auto</translation>
    </message>
    <message>
        <source>on</source>
        <comment>flash attention</comment>
        <translation>på</translation>
    </message>
    <message>
        <source>off</source>
        <comment>flash attention</comment>
        <translation>av</translation>
    </message>
    <message>
        <source>Flash attention</source>
        <translation>Flash attention</translation>
    </message>
    <message>
        <source>KV cache type</source>
        <translation>Typ av KV-cache</translation>
    </message>
    <message>
        <source>KV cache element type (llama-bench -ctk/-ctv); llama.cpp only</source>
        <translation>Elementtyp i KV-cachen (llama-bench -ctk/-ctv); bara llama.cpp</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU-lager</translation>
    </message>
    <message>
        <source>all</source>
        <translation>alla</translation>
    </message>
    <message>
        <source>Layers offloaded to a GPU (llama-bench -ngl): 0 = CPU only</source>
        <translation>Lager som flyttas till en GPU (llama-bench -ngl): 0 = bara CPU</translation>
    </message>
    <message>
        <source>Use each model&apos;s Fit panel settings</source>
        <translation>Använd varje modells inställningar från passningspanelen</translation>
    </message>
    <message>
        <source>Models whose KV cache type, flash attention and GPU layers were chosen in the Library&apos;s Fit panel are measured with those; the others with the settings here.</source>
        <translation>Modeller vars typ av KV-cache, flash attention och GPU-lager valts i Bibliotekets passningspanel mäts med dem; övriga med inställningarna här.</translation>
    </message>
    <message>
        <source>Measure time to first token</source>
        <translation>Mät tid till första token</translation>
    </message>
    <message>
        <source>Also measure the time to first token (TTFT) of a short chat prompt</source>
        <translation>Mät också tiden till första token (TTFT) för en kort chattprompt</translation>
    </message>
    <message>
        <source>pp tokens</source>
        <translation>pp-token</translation>
    </message>
    <message>
        <source>tg tokens</source>
        <translation>tg-token</translation>
    </message>
    <message>
        <source>Depth</source>
        <translation>Djup</translation>
    </message>
    <message>
        <source>Batch / µbatch</source>
        <translation>Batch / µbatch</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Kontext</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV-cache</translation>
    </message>
    <message>
        <source>Threads must be a number or a list like 1,2,4, not {text}.</source>
        <translation>Trådar måste vara ett tal eller en lista som 1,2,4, inte {text}.</translation>
    </message>
</context>
<context>
    <name>BenchmarkPane</name>
    <message>
        <source>Benchmark mode</source>
        <translation>Typ av prestandatest</translation>
    </message>
    <message>
        <source>Models to benchmark</source>
        <translation>Modeller att testa</translation>
    </message>
    <message>
        <source>Check the models to benchmark</source>
        <translation>Kryssa i modellerna som ska testas</translation>
    </message>
    <message>
        <source>Run benchmark</source>
        <translation>Kör prestandatest</translation>
    </message>
    <message>
        <source>Queue one benchmark per checked model</source>
        <translation>Lägg ett test per ikryssad modell i kön</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Avbryt</translation>
    </message>
    <message>
        <source>Cancel the selected queued or running benchmark (all of them if none is selected)</source>
        <translation>Avbryt det markerade testet i kön eller under körning (alla om inget är markerat)</translation>
    </message>
    <message>
        <source>Cancel benchmarks</source>
        <translation>Avbryt prestandatest</translation>
    </message>
    <message>
        <source>Measured generation speed against the fit estimate</source>
        <translation>Uppmätt genereringshastighet mot passningsuppskattningen</translation>
    </message>
    <message>
        <source>Benchmark status</source>
        <translation>Status för prestandatest</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modeller</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>Kö</translation>
    </message>
    <message>
        <source>Local models</source>
        <translation>Lokala modeller</translation>
    </message>
    <message>
        <source>Serving</source>
        <translation>Servering</translation>
    </message>
    <message>
        <source>Benchmark models from the inventory with llama-bench&apos;s figures</source>
        <translation>Testa modeller från inventariet med llama-benchs mått</translation>
    </message>
    <message>
        <source>Benchmark an OpenAI-compatible server with vLLM&apos;s serving figures</source>
        <translation>Testa en OpenAI-kompatibel server med vLLM:s serveringsmått</translation>
    </message>
    <message>
        <source>Cannot read the inventory: {error}</source>
        <translation>Kan inte läsa inventariet: {error}</translation>
    </message>
    <message>
        <source>Check at least one model to benchmark.</source>
        <translation>Kryssa i minst en modell att testa.</translation>
    </message>
    <message>
        <source>Benchmark {model} ({settings})</source>
        <translation>Prestandatest {model} ({settings})</translation>
    </message>
    <message numerus="yes">
        <source>%n benchmark(s) queued.</source>
        <translation>
            <numerusform>%n test lagt i kön.</numerusform>
            <numerusform>%n test lagda i kön.</numerusform>
        </translation>
    </message>
    <message>
        <source>Finished: {job}.</source>
        <translation>Klart: {job}.</translation>
    </message>
    <message>
        <source>{job} failed: {error}</source>
        <translation>{job} misslyckades: {error}</translation>
    </message>
    <message>
        <source>Cancelled: {job}.</source>
        <translation>Avbrutet: {job}.</translation>
    </message>
    <message numerus="yes">
        <source>%n thread(s)</source>
        <translation>
            <numerusform>%n tråd</numerusform>
            <numerusform>%n trådar</numerusform>
        </translation>
    </message>
    <message>
        <source>{model} ({threads}): tg {mean} ± {stdev} t/s measured; fit estimate bound {bound} t/s ({share} of it).</source>
        <translation>{model} ({threads}): tg {mean} ± {stdev} t/s uppmätt; passningsuppskattningens gräns {bound} t/s ({share} av den).</translation>
    </message>
    <message>
        <source>{model} ({threads}): tg {mean} ± {stdev} t/s measured; no fit bound (no memory bandwidth figure).</source>
        <translation>{model} ({threads}): tg {mean} ± {stdev} t/s uppmätt; ingen passningsgräns (minnesbandbredden är okänd).</translation>
    </message>
    <message>
        <source>Select exactly two runs to compare them.</source>
        <translation>Markera exakt två körningar för att jämföra dem.</translation>
    </message>
    <message>
        <source>Export benchmark results</source>
        <translation>Exportera testresultat</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</source>
        <translation>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n run(s) to {path}.</source>
        <translation>
            <numerusform>Exporterade %n körning till {path}.</numerusform>
            <numerusform>Exporterade %n körningar till {path}.</numerusform>
        </translation>
    </message>
    <message>
        <source>Delete benchmark runs?</source>
        <translation>Radera testkörningar?</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n run(s) from the history?</source>
        <translation>
            <numerusform>Radera %n körning ur historiken?</numerusform>
            <numerusform>Radera %n körningar ur historiken?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CancelButtonDelegate</name>
    <message>
        <source>Cancel</source>
        <translation>Avbryt</translation>
    </message>
</context>
<context>
    <name>CatalogFormat</name>
    <message>
        <source>none</source>
        <comment>no context length fits</comment>
        <translation>ingen</translation>
    </message>
    <message>
        <source>≤ {tps} tok/s</source>
        <translation>≤ {tps} token/s</translation>
    </message>
</context>
<context>
    <name>CatalogPane</name>
    <message>
        <source>Curated</source>
        <translation>Utvalda</translation>
    </message>
    <message>
        <source>Recommend</source>
        <translation>Rekommenderade</translation>
    </message>
    <message>
        <source>Hub</source>
        <translation>Hub</translation>
    </message>
    <message>
        <source>Catalog views</source>
        <translation>Katalogvyer</translation>
    </message>
    <message>
        <source>The curated catalog: works offline</source>
        <translation>Den utvalda katalogen: fungerar offline</translation>
    </message>
    <message>
        <source>The best quantization of each family that fits the chosen profile</source>
        <translation>Den bästa kvantiseringen av varje familj som passar den valda profilen</translation>
    </message>
    <message>
        <source>Search the Hugging Face Hub (needs the network)</source>
        <translation>Sök på Hugging Face Hub (kräver nätverk)</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Catalog&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;Katalog&lt;/h2&gt;</translation>
    </message>
    <message>
        <source>Checking every model on {profile} with n_ctx {n_ctx}…</source>
        <translation>Kontrollerar varje modell på {profile} med n_ctx {n_ctx}…</translation>
    </message>
    <message>
        <source>Assess the model catalog</source>
        <translation>Bedöm modellkatalogen</translation>
    </message>
    <message>
        <source>{profile} with n_ctx {n_ctx}</source>
        <translation>{profile} med n_ctx {n_ctx}</translation>
    </message>
    <message numerus="yes">
        <source>Catalog of {date}: %n model(s); fit for {target}.</source>
        <translation>
            <numerusform>Katalog från {date}: %n modell; bedömd för {target}.</numerusform>
            <numerusform>Katalog från {date}: %n modeller; bedömda för {target}.</numerusform>
        </translation>
    </message>
    <message>
        <source>the chosen profile</source>
        <translation>den valda profilen</translation>
    </message>
    <message>
        <source>Fit: {verdict} on {profile}.</source>
        <translation>Bedömning: {verdict} på {profile}.</translation>
    </message>
    <message>
        <source>Fit on {profile}: not known yet.</source>
        <translation>Bedömning på {profile}: inte känd än.</translation>
    </message>
    <message>
        <source>Download {name} ({size})?</source>
        <translation>Ladda ner {name} ({size})?</translation>
    </message>
    <message>
        <source>It will not load with this context. Download anyway?</source>
        <translation>Den går inte att läsa in med den här kontexten. Ladda ner ändå?</translation>
    </message>
    <message>
        <source>This model will not fit</source>
        <translation>Den här modellen passar inte</translation>
    </message>
    <message>
        <source>Download?</source>
        <translation>Ladda ner?</translation>
    </message>
    <message>
        <source>Largest context that fits: {n_ctx}.</source>
        <translation>Största kontext som passar: {n_ctx}.</translation>
    </message>
</context>
<context>
    <name>CatalogPreview</name>
    <message>
        <source>Catalog — slmdesk preview</source>
        <translation>Katalog — förhandsvisning av slmdesk</translation>
    </message>
</context>
<context>
    <name>CatalogTask</name>
    <message>
        <source>chat</source>
        <translation>chatt</translation>
    </message>
    <message>
        <source>code</source>
        <translation>kod</translation>
    </message>
    <message>
        <source>fine-tuning</source>
        <translation>finjustering</translation>
    </message>
    <message>
        <source>math</source>
        <translation>matematik</translation>
    </message>
    <message>
        <source>multilingual</source>
        <translation>flerspråkig</translation>
    </message>
    <message>
        <source>reasoning</source>
        <translation>resonerande</translation>
    </message>
    <message>
        <source>text-generation</source>
        <translation>textgenerering</translation>
    </message>
    <message>
        <source>tools</source>
        <translation>verktyg</translation>
    </message>
    <message>
        <source>vision</source>
        <translation>bildförståelse</translation>
    </message>
</context>
<context>
    <name>CatalogTier</name>
    <message>
        <source>micro</source>
        <translation>mikro</translation>
    </message>
    <message>
        <source>small</source>
        <translation>liten</translation>
    </message>
    <message>
        <source>medium</source>
        <translation>medel</translation>
    </message>
</context>
<context>
    <name>CatalogWhy</name>
    <message>
        <source>Largest {family} that fits {profile}, but tight, at n_ctx {n_ctx} ({size}, {verdict})</source>
        <translation>Största {family} som passar {profile}, men trångt, vid n_ctx {n_ctx} ({size}, {verdict})</translation>
    </message>
    <message>
        <source>Largest {family} that fits {profile} at n_ctx {n_ctx} ({size}, {verdict})</source>
        <translation>Största {family} som passar {profile} vid n_ctx {n_ctx} ({size}, {verdict})</translation>
    </message>
    <message>
        <source>{quant}: +{ppl} perplexity (llama.cpp, Llama-3-8B)</source>
        <translation>{quant}: +{ppl} i perplexitet (llama.cpp, Llama-3-8B)</translation>
    </message>
    <message>
        <source>{quant}: quality not published</source>
        <translation>{quant}: kvaliteten är inte publicerad</translation>
    </message>
    <message>
        <source>the best quality above {min_tps} tokens/s</source>
        <translation>bästa kvalitet över {min_tps} token/s</translation>
    </message>
    <message>
        <source>{fit}; {quality}, {choice}</source>
        <translation>{fit}; {quality}, {choice}</translation>
    </message>
    <message>
        <source>{fit}; {quality}, {choice}, up to {tps} tokens/s</source>
        <translation>{fit}; {quality}, {choice}, upp till {tps} token/s</translation>
    </message>
</context>
<context>
    <name>ChatExport</name>
    <message>
        <source>Conversation</source>
        <translation>Konversation</translation>
    </message>
    <message>
        <source>server</source>
        <translation>server</translation>
    </message>
    <message>
        <source>- Model: {name} (remote: {server} at {address})</source>
        <translation>- Modell: {name} (fjärr: {server} på {address})</translation>
    </message>
    <message>
        <source>- Model: {name} ({quantization})</source>
        <translation>- Modell: {name} ({quantization})</translation>
    </message>
    <message>
        <source>- Backend: {backend} {version}</source>
        <translation>- Motor: {backend} {version}</translation>
    </message>
    <message>
        <source>- Sampling: {settings}</source>
        <translation>- Sampling: {settings}</translation>
    </message>
    <message>
        <source>- Exported by slmdesk {version}</source>
        <translation>- Exporterad av slmdesk {version}</translation>
    </message>
</context>
<context>
    <name>ChatPane</name>
    <message>
        <source>Loading {name} (n_ctx {n_ctx})…</source>
        <translation>Läser in {name} (n_ctx {n_ctx})…</translation>
    </message>
    <message>
        <source>Cannot use this connection</source>
        <translation>Anslutningen kan inte användas</translation>
    </message>
    <message>
        <source>{connection}: {note}.</source>
        <translation>{connection}: {note}.</translation>
    </message>
    <message>
        <source>Settings &gt; Remote engines tests and changes connections.</source>
        <translation>I Inställningar &gt; Fjärrmotorer kan du testa och ändra anslutningar.</translation>
    </message>
    <message>
        <source>Connecting to {model} at {host}…</source>
        <translation>Ansluter till {model} på {host}…</translation>
    </message>
    <message>
        <source>Loaded {name}</source>
        <translation>{name} är inläst</translation>
    </message>
    <message>
        <source>Cannot change the mode</source>
        <translation>Läget kan inte ändras</translation>
    </message>
    <message>
        <source>Could not load the model</source>
        <translation>Modellen kunde inte läsas in</translation>
    </message>
    <message>
        <source>No model loaded.</source>
        <translation>Ingen modell är inläst.</translation>
    </message>
    <message>
        <source>No model is loaded</source>
        <translation>Ingen modell är inläst</translation>
    </message>
    <message>
        <source>Load a model first.</source>
        <translation>Läs in en modell först.</translation>
    </message>
    <message>
        <source>Pick one above and press Load.</source>
        <translation>Välj en ovan och tryck på Läs in.</translation>
    </message>
    <message>
        <source>Cannot send</source>
        <translation>Det gick inte att skicka</translation>
    </message>
    <message>
        <source>The engine stopped. Press Load to start it again; the conversation is kept.</source>
        <translation>Motorn stannade. Tryck på Läs in för att starta den igen; konversationen finns kvar.</translation>
    </message>
    <message>
        <source>The reply failed</source>
        <translation>Svaret misslyckades</translation>
    </message>
    <message>
        <source>{title}: {message} {hint}</source>
        <comment>an error: what failed, why, what to do</comment>
        <translation>{title}: {message} {hint}</translation>
    </message>
</context>
<context>
    <name>ChatPreview</name>
    <message>
        <source>slmdesk — Chat (preview, fake model)</source>
        <translation>slmdesk — Chatt (förhandsvisning, låtsasmodell)</translation>
    </message>
</context>
<context>
    <name>ChatTexts</name>
    <message>
        <source>You</source>
        <translation>Du</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>Assistent</translation>
    </message>
    <message>
        <source>System</source>
        <translation>System</translation>
    </message>
    <message numerus="yes">
        <source>prompt %Ln token(s)</source>
        <comment>tokens of the prompt</comment>
        <translation>
            <numerusform>prompt %Ln token</numerusform>
            <numerusform>prompt %Ln token</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <comment>tokens of a reply</comment>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln token</numerusform>
        </translation>
    </message>
    <message>
        <source>{rate} tok/s</source>
        <translation>{rate} token/s</translation>
    </message>
    <message>
        <source>TTFT {seconds} s</source>
        <translation>TTFT {seconds} s</translation>
    </message>
</context>
<context>
    <name>ColumnChooser</name>
    <message>
        <source>Right-click to choose the columns</source>
        <translation>Högerklicka för att välja kolumner</translation>
    </message>
    <message>
        <source>Columns</source>
        <translation>Kolumner</translation>
    </message>
    <message>
        <source>Columns to show</source>
        <translation>Kolumner att visa</translation>
    </message>
</context>
<context>
    <name>CompareTableModel</name>
    <message>
        <source>Prompt processing (pp), tokens/s</source>
        <translation>Promptbearbetning (pp), token/s</translation>
    </message>
    <message>
        <source>Generation (tg), tokens/s</source>
        <translation>Generering (tg), token/s</translation>
    </message>
    <message>
        <source>Time to first token (TTFT), s</source>
        <translation>Tid till första token (TTFT), s</translation>
    </message>
    <message>
        <source>Load time, s</source>
        <translation>Inläsningstid, s</translation>
    </message>
    <message>
        <source>Peak memory</source>
        <translation>Högsta minnesanvändning</translation>
    </message>
    <message>
        <source>Energy, J/token</source>
        <translation>Energi, J/token</translation>
    </message>
    <message>
        <source>Figure</source>
        <translation>Mått</translation>
    </message>
    <message>
        <source>Run A</source>
        <translation>Körning A</translation>
    </message>
    <message>
        <source>Run B</source>
        <translation>Körning B</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Förändring</translation>
    </message>
    <message>
        <source>A: {name}</source>
        <translation>A: {name}</translation>
    </message>
    <message>
        <source>B: {name}</source>
        <translation>B: {name}</translation>
    </message>
    <message>
        <source>better</source>
        <translation>bättre</translation>
    </message>
    <message>
        <source>worse</source>
        <translation>sämre</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Enter to send, Shift+Enter for a new line</source>
        <translation>Enter skickar, Shift+Enter ger en ny rad</translation>
    </message>
    <message>
        <source>Ctrl+Enter to send</source>
        <translation>Ctrl+Enter skickar</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Meddelande</translation>
    </message>
    <message>
        <source>The message to send to the model</source>
        <translation>Meddelandet som skickas till modellen</translation>
    </message>
    <message>
        <source>Edit last</source>
        <translation>Ändra senaste</translation>
    </message>
    <message>
        <source>Put your last message back in the box to change and resend it</source>
        <translation>Lägg tillbaka ditt senaste meddelande i rutan så att du kan ändra och skicka det igen</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Generera om</translation>
    </message>
    <message>
        <source>Generate the last reply again; earlier versions are kept</source>
        <translation>Generera det senaste svaret igen; tidigare versioner sparas</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Stoppa</translation>
    </message>
    <message>
        <source>Stop the reply (Esc)</source>
        <translation>Stoppa svaret (Esc)</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Skicka</translation>
    </message>
    <message>
        <source>Message ({hint})</source>
        <translation>Meddelande ({hint})</translation>
    </message>
    <message>
        <source>Send ({hint})</source>
        <translation>Skicka ({hint})</translation>
    </message>
    <message numerus="yes">
        <source>Conversation: {used} / %Ln token(s)</source>
        <comment>of the context window</comment>
        <translation>
            <numerusform>Konversation: {used} / %Ln token</numerusform>
            <numerusform>Konversation: {used} / %Ln token</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Conversation: %Ln token(s)</source>
        <comment>context window size unknown</comment>
        <translation>
            <numerusform>Konversation: %Ln token</numerusform>
            <numerusform>Konversation: %Ln token</numerusform>
        </translation>
    </message>
    <message>
        <source>Tokens of the context window that the conversation fills</source>
        <translation>Hur många token av kontextfönstret som konversationen fyller</translation>
    </message>
    <message numerus="yes">
        <source>The conversation is longer than the context window (n_ctx {n_ctx}): the %Ln oldest message(s) were left out of this reply; the system prompt was kept. Start a new chat to keep everything in view.</source>
        <translation>
            <numerusform>Konversationen är längre än kontextfönstret (n_ctx {n_ctx}): det äldsta meddelandet utelämnades i det här svaret; systemprompten behölls. Starta en ny chatt för att ha allt med.</numerusform>
            <numerusform>Konversationen är längre än kontextfönstret (n_ctx {n_ctx}): de %Ln äldsta meddelandena utelämnades i det här svaret; systemprompten behölls. Starta en ny chatt för att ha allt med.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConnectionListModel</name>
    <message>
        <source>not tested</source>
        <translation>inte testad</translation>
    </message>
    <message>
        <source>{url}
Never answered</source>
        <translation>{url}
Har aldrig svarat</translation>
    </message>
    <message>
        <source>{url}
Last answered: {time} UTC</source>
        <translation>{url}
Svarade senast: {time} UTC</translation>
    </message>
</context>
<context>
    <name>ConversationExporter</name>
    <message>
        <source>Markdown files (*.md)</source>
        <translation>Markdown-filer (*.md)</translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation>JSON-filer (*.json)</translation>
    </message>
    <message>
        <source>Export conversation as {format}</source>
        <translation>Exportera konversationen som {format}</translation>
    </message>
    <message>
        <source>Export conversation to {file}</source>
        <translation>Exportera konversationen till {file}</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>Search conversations</source>
        <translation>Sök i konversationer</translation>
    </message>
    <message>
        <source>Find conversations by title or message text</source>
        <translation>Hitta konversationer efter titel eller meddelandetext</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Konversationer</translation>
    </message>
    <message>
        <source>Your conversations, most recent first; choose one to open it</source>
        <translation>Dina konversationer, de senaste först; välj en för att öppna den</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>Ny chatt</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>Starta en ny konversation (Ctrl+N)</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>Byt namn</translation>
    </message>
    <message>
        <source>Rename the conversation on screen</source>
        <translation>Byt namn på konversationen som visas</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Radera</translation>
    </message>
    <message>
        <source>Delete the conversation on screen and its messages</source>
        <translation>Radera konversationen som visas och dess meddelanden</translation>
    </message>
    <message>
        <source>Rename conversation</source>
        <translation>Byt namn på konversationen</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>Titel:</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>Radera konversationen</translation>
    </message>
    <message>
        <source>Delete “{title}” and its messages?</source>
        <translation>Vill du radera ”{title}” och dess meddelanden?</translation>
    </message>
</context>
<context>
    <name>ConversationListModel</name>
    <message>
        <source>Untitled conversation</source>
        <translation>Namnlös konversation</translation>
    </message>
    <message>
        <source>Updated {time}</source>
        <translation>Uppdaterad {time}</translation>
    </message>
</context>
<context>
    <name>CuratedModel</name>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>Kvantisering</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Storlek</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>Bedömning</translation>
    </message>
    <message>
        <source>Max context</source>
        <translation>Max kontext</translation>
    </message>
    <message>
        <source>Speed bound</source>
        <translation>Hastighetstak</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>Klass</translation>
    </message>
    <message>
        <source>Params</source>
        <translation>Parametrar</translation>
    </message>
    <message>
        <source>Publisher</source>
        <translation>Utgivare</translation>
    </message>
    <message>
        <source>License</source>
        <translation>Licens</translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation>Uppgifter</translation>
    </message>
    <message>
        <source>In library</source>
        <translation>I biblioteket</translation>
    </message>
    <message>
        <source>Download size of every file of the quantization (estimated sizes end in ~)</source>
        <translation>Nedladdningsstorlek för alla kvantiseringens filer (uppskattade storlekar slutar med ~)</translation>
    </message>
    <message>
        <source>The fit verdict on the chosen profile at the wanted context</source>
        <translation>Bedömningen på den valda profilen med önskad kontext</translation>
    </message>
    <message>
        <source>The largest context (tokens) that fits on the chosen profile</source>
        <translation>Den största kontext (token) som passar på den valda profilen</translation>
    </message>
    <message>
        <source>Upper bound on generation speed from memory bandwidth (real speeds are lower)</source>
        <translation>Övre gräns för genereringshastigheten utifrån minnesbandbredden (verkliga hastigheter är lägre)</translation>
    </message>
    <message>
        <source>Parameters: the model&apos;s number of weights</source>
        <translation>Parametrar: modellens antal vikter</translation>
    </message>
    <message>
        <source>Whether the Library already holds this quantization</source>
        <translation>Om biblioteket redan har den här kvantiseringen</translation>
    </message>
    <message numerus="yes">
        <source>{quant} (%n parts)</source>
        <translation>
            <numerusform>{quant} (%n del)</numerusform>
            <numerusform>{quant} (%n delar)</numerusform>
        </translation>
    </message>
    <message>
        <source>✓ in library</source>
        <translation>✓ i biblioteket</translation>
    </message>
    <message>
        <source>{verdict} at n_ctx {n_ctx}: {ram} RAM</source>
        <translation>{verdict} vid n_ctx {n_ctx}: {ram} RAM</translation>
    </message>
    <message numerus="yes">
        <source>{verdict} at n_ctx {n_ctx}: {ram} RAM, {gpu} GPU (%n layer(s))</source>
        <translation>
            <numerusform>{verdict} vid n_ctx {n_ctx}: {ram} RAM, {gpu} GPU (%n lager)</numerusform>
            <numerusform>{verdict} vid n_ctx {n_ctx}: {ram} RAM, {gpu} GPU (%n lager)</numerusform>
        </translation>
    </message>
    <message>
        <source>Size from the Hub</source>
        <translation>Storlek enligt Hub</translation>
    </message>
    <message>
        <source>Size measured on a local copy</source>
        <translation>Storlek uppmätt på en lokal kopia</translation>
    </message>
    <message>
        <source>Size estimated from the architecture</source>
        <translation>Storlek uppskattad utifrån arkitekturen</translation>
    </message>
</context>
<context>
    <name>CuratedView</name>
    <message>
        <source>Filter by name, family, quantization (Ctrl+F)</source>
        <translation>Filtrera på namn, familj, kvantisering (Ctrl+F)</translation>
    </message>
    <message>
        <source>Filter the curated models</source>
        <translation>Filtrera de utvalda modellerna</translation>
    </message>
    <message>
        <source>Filter by name, family, publisher, quantization or repository (Ctrl+F)</source>
        <translation>Filtrera på namn, familj, utgivare, kvantisering eller förråd (Ctrl+F)</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>Klass</translation>
    </message>
    <message>
        <source>All tiers</source>
        <translation>Alla klasser</translation>
    </message>
    <message>
        <source>Publisher</source>
        <translation>Utgivare</translation>
    </message>
    <message>
        <source>All publishers</source>
        <translation>Alla utgivare</translation>
    </message>
    <message>
        <source>License</source>
        <translation>Licens</translation>
    </message>
    <message>
        <source>All licenses</source>
        <translation>Alla licenser</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>Uppgift</translation>
    </message>
    <message>
        <source>All tasks</source>
        <translation>Alla uppgifter</translation>
    </message>
    <message>
        <source>Fits</source>
        <translation>Passar</translation>
    </message>
    <message>
        <source>Only models that fit</source>
        <translation>Bara modeller som passar</translation>
    </message>
    <message>
        <source>Only quantizations that fit the chosen profile at the wanted context</source>
        <translation>Bara kvantiseringar som passar den valda profilen med önskad kontext</translation>
    </message>
    <message>
        <source>Curated models</source>
        <translation>Utvalda modeller</translation>
    </message>
    <message>
        <source>Download…</source>
        <translation>Ladda ner…</translation>
    </message>
    <message>
        <source>Download the selected quantization</source>
        <translation>Ladda ner den markerade kvantiseringen</translation>
    </message>
    <message>
        <source>Download the selected quantization from its GGUF repository (Enter)</source>
        <translation>Ladda ner den markerade kvantiseringen från dess GGUF-förråd (Enter)</translation>
    </message>
    <message>
        <source>{shown} of {total}</source>
        <translation>{shown} av {total}</translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %n quantization(s) shown</source>
        <translation>
            <numerusform>{shown} av %n kvantisering visas</numerusform>
            <numerusform>{shown} av %n kvantiseringar visas</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DamagedInventoryDialog</name>
    <message>
        <source>slmdesk: the inventory is damaged</source>
        <translation>slmdesk: förteckningen är skadad</translation>
    </message>
    <message>
        <source>Restore the latest backup, taken {taken} UTC: the damaged file is kept as {aside} in {folder}. Models adopted, conversations and results saved after {taken} UTC are not in the backup; rescan your folders to find the models again. Your model files are not touched.</source>
        <translation>Återställ den senaste säkerhetskopian, tagen {taken} UTC: den skadade filen sparas som {aside} i {folder}. Modeller som lagts till, konversationer och resultat som sparats efter {taken} UTC finns inte i säkerhetskopian; sök igenom dina mappar igen för att hitta modellerna. Dina modellfiler rörs inte.</translation>
    </message>
    <message>
        <source>There is no backup of the inventory yet (slmdesk takes one a day). You can start with an empty inventory: the damaged file is kept as {aside} in {folder} for recovery, and your model files are not touched.</source>
        <translation>Det finns ingen säkerhetskopia av förteckningen än (slmdesk tar en om dagen). Du kan starta med en tom förteckning: den skadade filen sparas som {aside} i {folder} så att den kan räddas, och dina modellfiler rörs inte.</translation>
    </message>
    <message>
        <source>Restore latest backup</source>
        <translation>Återställ senaste säkerhetskopian</translation>
    </message>
    <message>
        <source>Start with an empty inventory</source>
        <translation>Starta med en tom förteckning</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Avsluta</translation>
    </message>
</context>
<context>
    <name>DeployDialog</name>
    <message>
        <source>Ollama (Modelfile)</source>
        <translation>Ollama (Modelfile)</translation>
    </message>
    <message>
        <source>llama.cpp server (command line, systemd unit, RPC over several machines)</source>
        <translation>llama.cpp-server (kommandorad, systemd-enhet, RPC över flera datorer)</translation>
    </message>
    <message>
        <source>vLLM with Docker Compose (+ Prometheus, Grafana)</source>
        <translation>vLLM med Docker Compose (+ Prometheus, Grafana)</translation>
    </message>
    <message>
        <source>vLLM on Kubernetes (manifests, Prometheus, Grafana)</source>
        <translation>vLLM på Kubernetes (manifest, Prometheus, Grafana)</translation>
    </message>
    <message>
        <source>Export deployment: {name}</source>
        <translation>Exportera driftsättning: {name}</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Bläddra…</translation>
    </message>
    <message>
        <source>Choose the folder for the deployment files</source>
        <translation>Välj mapp för driftsättningsfilerna</translation>
    </message>
    <message>
        <source>usual (11434 Ollama, 8080 llama-server, 8000 vLLM)</source>
        <translation>den vanliga (11434 Ollama, 8080 llama-server, 8000 vLLM)</translation>
    </message>
    <message>
        <source>one machine; or head=24,worker1=16 (free GiB or a hardware profile)</source>
        <translation>en dator; eller head=24,worker1=16 (ledigt GiB eller en hårdvaruprofil)</translation>
    </message>
    <message>
        <source>llama.cpp RPC: the model is split over these machines by the fit estimator</source>
        <translation>llama.cpp RPC: passningsberäkningen delar upp modellen över de här datorerna</translation>
    </message>
    <message>
        <source>vLLM: the Hugging Face repo, e.g. HuggingFaceTB/SmolLM2-135M-Instruct</source>
        <translation>vLLM: Hugging Face-repot, t.ex. HuggingFaceTB/SmolLM2-135M-Instruct</translation>
    </message>
    <message>
        <source>Ollama: a system prompt (optional)</source>
        <translation>Ollama: en systemprompt (valfri)</translation>
    </message>
    <message>
        <source>Targets</source>
        <translation>Mål</translation>
    </message>
    <message>
        <source>New &amp;folder</source>
        <translation>Ny &amp;mapp</translation>
    </message>
    <message>
        <source>New folder</source>
        <translation>Ny mapp</translation>
    </message>
    <message>
        <source>&amp;Port</source>
        <translation>&amp;Port</translation>
    </message>
    <message>
        <source>&amp;RPC hosts</source>
        <translation>&amp;RPC-värdar</translation>
    </message>
    <message>
        <source>&amp;HF repo</source>
        <translation>&amp;HF-repo</translation>
    </message>
    <message>
        <source>&amp;System prompt</source>
        <translation>&amp;Systemprompt</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exportera</translation>
    </message>
    <message>
        <source>Files to serve this model elsewhere, with its load plan; no real key is written.</source>
        <translation>Filer för att köra modellen någon annanstans, med dess inläsningsplan; ingen riktig nyckel skrivs ut.</translation>
    </message>
    <message>
        <source>Folder for the deployment files</source>
        <translation>Mapp för driftsättningsfilerna</translation>
    </message>
    <message>
        <source>{folder} is not a full path.</source>
        <translation>{folder} är inte en fullständig sökväg.</translation>
    </message>
    <message>
        <source>Choose the folder with Browse….</source>
        <translation>Välj mappen med Bläddra….</translation>
    </message>
    <message>
        <source>Export deployment of {name}</source>
        <translation>Exportera driftsättning av {name}</translation>
    </message>
</context>
<context>
    <name>DerivedTableModel</name>
    <message>
        <source>Variant</source>
        <translation>Variant</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Storlek</translation>
    </message>
    <message>
        <source>Made</source>
        <translation>Skapad</translation>
    </message>
    <message>
        <source>artifact {id}</source>
        <translation>artefakt {id}</translation>
    </message>
</context>
<context>
    <name>DownloadController</name>
    <message>
        <source>Asking the Hub about {name}</source>
        <translation>Frågar Hub om {name}</translation>
    </message>
    <message>
        <source>Download {name}</source>
        <translation>Ladda ner {name}</translation>
    </message>
    <message>
        <source>Delete the partial {name}</source>
        <translation>Radera den ofullständiga {name}</translation>
    </message>
    <message>
        <source>Add {name} to the library</source>
        <translation>Lägg till {name} i biblioteket</translation>
    </message>
</context>
<context>
    <name>DownloadsModel</name>
    <message>
        <source>Queued</source>
        <translation>I kö</translation>
    </message>
    <message>
        <source>Downloading</source>
        <translation>Laddar ner</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>Pausad</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Misslyckades</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Klar</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Avbruten</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Fil</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>Förråd</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Förlopp</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Hastighet</translation>
    </message>
    <message>
        <source>ETA</source>
        <translation>Återstår</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} av {total}</translation>
    </message>
</context>
<context>
    <name>DownloadsView</name>
    <message>
        <source>Cancel the download?</source>
        <translation>Avbryta nedladdningen?</translation>
    </message>
    <message>
        <source>Cancel the download of {name}?</source>
        <translation>Avbryta nedladdningen av {name}?</translation>
    </message>
    <message>
        <source>Keep the partial file to resume later, or delete it.</source>
        <translation>Behåll den ofullständiga filen för att fortsätta senare, eller radera den.</translation>
    </message>
    <message>
        <source>Keep partial file</source>
        <translation>Behåll ofullständig fil</translation>
    </message>
    <message>
        <source>Delete partial file</source>
        <translation>Radera ofullständig fil</translation>
    </message>
    <message>
        <source>Go on downloading</source>
        <translation>Fortsätt ladda ner</translation>
    </message>
    <message>
        <source>&lt;b&gt;Downloads&lt;/b&gt;</source>
        <translation>&lt;b&gt;Nedladdningar&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>Pausa</translation>
    </message>
    <message>
        <source>Pause the selected download</source>
        <translation>Pausa den markerade nedladdningen</translation>
    </message>
    <message>
        <source>Stop the selected download; its partial file stays for Resume</source>
        <translation>Stoppa den markerade nedladdningen; den ofullständiga filen sparas så att du kan fortsätta</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>Fortsätt</translation>
    </message>
    <message>
        <source>Resume the selected download</source>
        <translation>Fortsätt den markerade nedladdningen</translation>
    </message>
    <message>
        <source>Go on from the partial file of the selected download</source>
        <translation>Fortsätt från den markerade nedladdningens ofullständiga fil</translation>
    </message>
    <message>
        <source>Cancel…</source>
        <translation>Avbryt…</translation>
    </message>
    <message>
        <source>Cancel the selected download</source>
        <translation>Avbryt den markerade nedladdningen</translation>
    </message>
    <message>
        <source>Stop the selected download for good, keeping or deleting its partial file</source>
        <translation>Stoppa den markerade nedladdningen för gott och behåll eller radera den ofullständiga filen</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>Nedladdningar</translation>
    </message>
</context>
<context>
    <name>FitChart</name>
    <message>
        <source>Weights</source>
        <translation>Vikter</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV-cache</translation>
    </message>
    <message>
        <source>Compute buffers</source>
        <translation>Beräkningsbuffertar</translation>
    </message>
    <message>
        <source>Runtime overhead</source>
        <translation>Körtidsomkostnad</translation>
    </message>
    <message>
        <source>RAM, at load / short prompt</source>
        <translation>RAM, vid inläsning / kort prompt</translation>
    </message>
    <message>
        <source>RAM, with the context full</source>
        <translation>RAM, med full kontext</translation>
    </message>
    <message>
        <source>Memory needed</source>
        <translation>Minne som behövs</translation>
    </message>
    <message>
        <source>Memory each part of the model needs, against the memory available</source>
        <translation>Minnet som varje del av modellen behöver, jämfört med tillgängligt minne</translation>
    </message>
    <message>
        <source>MiB</source>
        <translation>MiB</translation>
    </message>
    <message>
        <source>Memory needed&lt;br&gt;available: {devices} (beyond this scale)</source>
        <translation>Minne som behövs&lt;br&gt;tillgängligt: {devices} (utanför skalan)</translation>
    </message>
    <message>
        <source>{device} available: {size}</source>
        <translation>{device} tillgängligt: {size}</translation>
    </message>
</context>
<context>
    <name>FitPanel</name>
    <message>
        <source>fits fully on GPU</source>
        <translation>passar helt på GPU</translation>
    </message>
    <message>
        <source>partial offload</source>
        <translation>delvis avlastad</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>endast CPU</translation>
    </message>
    <message>
        <source>tight</source>
        <translation>knappt</translation>
    </message>
    <message>
        <source>will not fit</source>
        <translation>passar inte</translation>
    </message>
    <message>
        <source>at load / short prompt</source>
        <translation>vid inläsning / kort prompt</translation>
    </message>
    <message>
        <source>with the context full</source>
        <translation>med full kontext</translation>
    </message>
    <message>
        <source>{at_load} RAM {at_load_label}, {full} {full_label} (n_ctx {n_ctx})</source>
        <translation>{at_load} RAM {at_load_label}, {full} {full_label} (n_ctx {n_ctx})</translation>
    </message>
    <message>
        <source>, {size} on {device}</source>
        <translation>, {size} på {device}</translation>
    </message>
    <message>
        <source>Target profile</source>
        <translation>Målprofil</translation>
    </message>
    <message>
        <source>This machine</source>
        <translation>Den här datorn</translation>
    </message>
    <message>
        <source>{name} (yours)</source>
        <translation>{name} (din)</translation>
    </message>
    <message>
        <source>Measure again</source>
        <translation>Mät igen</translation>
    </message>
    <message>
        <source>Probe this machine again: free memory, GPUs and a new memory-bandwidth measurement (the generation-speed bound follows it; close busy programs first)</source>
        <translation>Undersök den här datorn igen: ledigt minne, GPU:er och en ny mätning av minnesbandbredden (gränsen för genereringshastigheten följer den; stäng upptagna program först)</translation>
    </message>
    <message>
        <source>Measure this machine again</source>
        <translation>Mät den här datorn igen</translation>
    </message>
    <message>
        <source>Check &amp;fit for</source>
        <translation>Kontrollera &amp;passning för</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>Kontextlängd</translation>
    </message>
    <message>
        <source>&amp;Context (n_ctx)</source>
        <translation>&amp;Kontext (n_ctx)</translation>
    </message>
    <message>
        <source>KV cache type</source>
        <translation>KV-cache-typ</translation>
    </message>
    <message>
        <source>KV cache type; q8_0 and q4_0 need flash attention, which is then turned on</source>
        <translation>KV-cache-typ; q8_0 och q4_0 kräver flash attention, som då slås på</translation>
    </message>
    <message>
        <source>&amp;KV cache</source>
        <translation>KV-&amp;cache</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>auto</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU-lager</translation>
    </message>
    <message>
        <source>Layers offloaded to the GPU (llama.cpp counting; auto picks the most that fit)</source>
        <translation>Lager som avlastas till GPU:n (räknat som llama.cpp; auto väljer så många som får plats)</translation>
    </message>
    <message>
        <source>Flash attention</source>
        <translation>Flash attention</translation>
    </message>
    <message>
        <source>&amp;GPU layers</source>
        <translation>&amp;GPU-lager</translation>
    </message>
    <message>
        <source>Use for Chat and Benchmark</source>
        <translation>Använd i Chatt och Prestandatest</translation>
    </message>
    <message>
        <source>Save these settings as this model&apos;s load plan: Chat, Benchmark, the command line and the server load it with them</source>
        <translation>Spara inställningarna som modellens inläsningsplan: Chatt, Prestandatest, kommandoraden och servern läser in den med dem</translation>
    </message>
    <message>
        <source>Use these settings for Chat and Benchmark</source>
        <translation>Använd de här inställningarna i Chatt och Prestandatest</translation>
    </message>
    <message>
        <source>No fit estimate: the model is not loadable (missing, corrupt or not GGUF/ONNX).</source>
        <translation>Ingen passningsberäkning: modellen kan inte läsas in (saknas, är skadad eller är inte GGUF/ONNX).</translation>
    </message>
    <message>
        <source>Reading the model header…</source>
        <translation>Läser modellens huvud…</translation>
    </message>
    <message>
        <source>Read header of {file}</source>
        <translation>Läs huvudet i {file}</translation>
    </message>
    <message>
        <source>A quantized KV cache needs flash attention, so it is on (llama.cpp refuses the cache without it).</source>
        <translation>En kvantiserad KV-cache kräver flash attention, så den är på (llama.cpp vägrar använda cachen utan den).</translation>
    </message>
    <message>
        <source>Use flash attention (less memory for long contexts)</source>
        <translation>Använd flash attention (mindre minne för långa kontexter)</translation>
    </message>
    <message>
        <source>Cannot read the header: {error}</source>
        <translation>Kan inte läsa huvudet: {error}</translation>
    </message>
    <message>
        <source>this machine</source>
        <translation>den här datorn</translation>
    </message>
    <message>
        <source>Measuring this machine (CPU, memory, bandwidth)…</source>
        <translation>Mäter den här datorn (CPU, minne, bandbredd)…</translation>
    </message>
    <message>
        <source>Probe this machine</source>
        <translation>Undersök den här datorn</translation>
    </message>
    <message>
        <source>Could not probe this machine: {error}</source>
        <translation>Kunde inte undersöka den här datorn: {error}</translation>
    </message>
    <message>
        <source>No estimate: {error}</source>
        <translation>Ingen beräkning: {error}</translation>
    </message>
    <message>
        <source>{verdict} on {profile}: {needed} of {available} RAM available</source>
        <translation>{verdict} på {profile}: {needed} av {available} tillgängligt RAM</translation>
    </message>
    <message>
        <source>, {needed} of {available} on {device}</source>
        <translation>, {needed} av {available} på {device}</translation>
    </message>
    <message>
        <source>Largest context that fits: {tokens} tokens</source>
        <translation>Största kontext som passar: {tokens} token</translation>
    </message>
    <message>
        <source>No context length fits.</source>
        <translation>Ingen kontextlängd passar.</translation>
    </message>
    <message>
        <source>GPU layers: {used} of {total}</source>
        <translation>GPU-lager: {used} av {total}</translation>
    </message>
    <message>
        <source>GPU layers: none (no GPU)</source>
        <translation>GPU-lager: inga (ingen GPU)</translation>
    </message>
    <message>
        <source>Generation speed bound: {rate} tokens/s with a short context</source>
        <translation>Gräns för genereringshastighet: {rate} token/s med kort kontext</translation>
    </message>
    <message>
        <source>, {rate} tokens/s {full_label}</source>
        <translation>, {rate} token/s {full_label}</translation>
    </message>
    <message>
        <source> (read bandwidth of all cores / bytes read per token: no decode can be faster)</source>
        <translation> (läsbandbredd för alla kärnor / lästa byte per token: ingen avkodning kan gå fortare)</translation>
    </message>
    <message>
        <source>RAM {at_load_label} (up to {short} tokens): {at_load}; {full_label} ({n_ctx} tokens): {full} (the compute buffers are reserved at load and touched as the context fills)</source>
        <translation>RAM {at_load_label} (upp till {short} token): {at_load}; {full_label} ({n_ctx} token): {full} (beräkningsbuffertarna reserveras vid inläsningen och tas i bruk när kontexten fylls)</translation>
    </message>
    <message>
        <source>Measured: not yet (load the model in Chat to measure its real peak memory).</source>
        <translation>Uppmätt: inte än (läs in modellen i Chatt för att mäta dess verkliga minnestopp).</translation>
    </message>
    <message>
        <source>with {tokens} tokens in the context</source>
        <translation>med {tokens} token i kontexten</translation>
    </message>
    <message>
        <source>Measured peak: {peak}.</source>
        <translation>Uppmätt topp: {peak}.</translation>
    </message>
    <message>
        <source>Measured peak at the last load (n_ctx {n_ctx}, KV {kv}): {peak}; estimate {figure} {estimate} ({error}), {full_label} {full}</source>
        <translation>Uppmätt topp vid senaste inläsningen (n_ctx {n_ctx}, KV {kv}): {peak}; beräknat {figure} {estimate} ({error}), {full_label} {full}</translation>
    </message>
    <message>
        <source> (the peak lies between the two: the context was partly filled)</source>
        <translation> (toppen ligger mellan de två: kontexten var delvis fylld)</translation>
    </message>
    <message>
        <source>{tokens} tokens</source>
        <translation>{tokens} token</translation>
    </message>
</context>
<context>
    <name>GenerationSettings</name>
    <message>
        <source>Chat: the conversation goes through the model&apos;s chat template (instruct models).
Completion: the model continues your text as written, with no template; how a base model (no chat template) is meant to be used.</source>
        <translation>Chatt: konversationen går genom modellens chattmall (instruktionsmodeller).
Fortsättning: modellen fortsätter din text som den är skriven, utan mall; så är en basmodell (utan chattmall) tänkt att användas.</translation>
    </message>
    <message>
        <source>None</source>
        <translation>Ingen</translation>
    </message>
    <message>
        <source>Your own</source>
        <translation>Din egen</translation>
    </message>
    <message>
        <source>Helpful assistant</source>
        <translation>Hjälpsam assistent</translation>
    </message>
    <message>
        <source>Concise</source>
        <translation>Koncis</translation>
    </message>
    <message>
        <source>Teacher</source>
        <translation>Lärare</translation>
    </message>
    <message>
        <source>Programmer</source>
        <translation>Programmerare</translation>
    </message>
    <message>
        <source>Editor</source>
        <translation>Redaktör</translation>
    </message>
    <message>
        <source>Translator</source>
        <translation>Översättare</translation>
    </message>
    <message>
        <source>Drop tokens less likely than min-p × the most likely token&apos;s probability (llama.cpp).</source>
        <translation>Utesluter token som är mindre sannolika än min-p × sannolikheten för den mest sannolika token (llama.cpp).</translation>
    </message>
    <message>
        <source>ONNX Runtime GenAI has no min-p sampling (its search options are temperature, top-k, top-p and repetition penalty), so min-p is off for this model.</source>
        <translation>ONNX Runtime GenAI saknar min-p-sampling (dess sökalternativ är temperatur, top-k, top-p och upprepningsstraff), så min-p är avstängt för den här modellen.</translation>
    </message>
    <message>
        <source>Chat</source>
        <comment>conversation mode</comment>
        <translation>Chatt</translation>
    </message>
    <message>
        <source>Completion (continue the text)</source>
        <translation>Fortsättning (fortsätt texten)</translation>
    </message>
    <message>
        <source>Conversation mode</source>
        <translation>Konversationsläge</translation>
    </message>
    <message>
        <source>System prompt preset</source>
        <translation>Förinställd systemprompt</translation>
    </message>
    <message>
        <source>System prompt (optional)</source>
        <translation>Systemprompt (valfri)</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Systemprompt</translation>
    </message>
    <message>
        <source>Instructions the model gets before the conversation</source>
        <translation>Instruktioner som modellen får före konversationen</translation>
    </message>
    <message>
        <source>random</source>
        <comment>seed</comment>
        <translation>slumpmässigt</translation>
    </message>
    <message>
        <source>The same seed, settings and prompt give the same reply; random: a new one each time</source>
        <translation>Samma frö, inställningar och prompt ger samma svar; slumpmässigt: ett nytt varje gång</translation>
    </message>
    <message>
        <source>The longest reply, in tokens</source>
        <translation>Det längsta svaret, i token</translation>
    </message>
    <message>
        <source>Generation</source>
        <translation>Generering</translation>
    </message>
    <message>
        <source>Mode:</source>
        <translation>Läge:</translation>
    </message>
    <message>
        <source>System prompt:</source>
        <translation>Systemprompt:</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>Temperatur:</translation>
    </message>
    <message>
        <source>Top-k:</source>
        <translation>Top-k:</translation>
    </message>
    <message>
        <source>Top-p:</source>
        <translation>Top-p:</translation>
    </message>
    <message>
        <source>Min-p:</source>
        <translation>Min-p:</translation>
    </message>
    <message>
        <source>Repeat penalty:</source>
        <translation>Upprepningsstraff:</translation>
    </message>
    <message>
        <source>Max tokens:</source>
        <translation>Högst antal token:</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>Frö:</translation>
    </message>
    <message>
        <source>Export Markdown…</source>
        <translation>Exportera Markdown…</translation>
    </message>
    <message>
        <source>Save the conversation as a Markdown file</source>
        <translation>Spara konversationen som en Markdown-fil</translation>
    </message>
    <message>
        <source>Export JSON…</source>
        <translation>Exportera JSON…</translation>
    </message>
    <message>
        <source>Save the conversation as JSON, with the model&apos;s SHA-256, the settings and each reply&apos;s stats</source>
        <translation>Spara konversationen som JSON, med modellens SHA-256, inställningarna och varje svars statistik</translation>
    </message>
</context>
<context>
    <name>HistoryChartView</name>
    <message>
        <source>tg tokens/s</source>
        <translation>tg token/s</translation>
    </message>
    <message>
        <source>pp tokens/s</source>
        <translation>pp token/s</translation>
    </message>
    <message>
        <source>TTFT seconds</source>
        <translation>TTFT sekunder</translation>
    </message>
    <message>
        <source>History chart</source>
        <translation>Historikdiagram</translation>
    </message>
    <message>
        <source>History: {figure}</source>
        <translation>Historik: {figure}</translation>
    </message>
    <message>
        <source>Run time</source>
        <translation>Tid för körningen</translation>
    </message>
</context>
<context>
    <name>HubResultsModel</name>
    <message>
        <source>Repository</source>
        <translation>Förråd</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>Nedladdningar</translation>
    </message>
    <message>
        <source>Likes</source>
        <translation>Gillanden</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>Uppdaterad</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Ramverk</translation>
    </message>
    <message>
        <source>Gated</source>
        <translation>Begränsad</translation>
    </message>
    <message>
        <source>Downloads in the last 30 days (the Hub&apos;s count)</source>
        <translation>Nedladdningar de senaste 30 dagarna (enligt Hub)</translation>
    </message>
    <message>
        <source>The library the repository is for (gguf, transformers…)</source>
        <translation>Programbiblioteket som förrådet är avsett för (gguf, transformers…)</translation>
    </message>
    <message>
        <source>Access must be requested on the Hub first</source>
        <translation>Åtkomst måste först begäras på Hub</translation>
    </message>
    <message>
        <source>gated</source>
        <translation>begränsad</translation>
    </message>
</context>
<context>
    <name>HubView</name>
    <message>
        <source>Most downloaded</source>
        <translation>Mest nedladdade</translation>
    </message>
    <message>
        <source>Most liked</source>
        <translation>Mest gillade</translation>
    </message>
    <message>
        <source>Recently updated</source>
        <translation>Senast uppdaterade</translation>
    </message>
    <message>
        <source>Any format</source>
        <translation>Alla format</translation>
    </message>
    <message>
        <source>Search the Hugging Face Hub (Ctrl+F)</source>
        <translation>Sök på Hugging Face Hub (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search the Hugging Face Hub</source>
        <translation>Sök på Hugging Face Hub</translation>
    </message>
    <message>
        <source>File format</source>
        <translation>Filformat</translation>
    </message>
    <message>
        <source>Only repositories with files in this format</source>
        <translation>Bara förråd med filer i det här formatet</translation>
    </message>
    <message>
        <source>Sort order</source>
        <translation>Sorteringsordning</translation>
    </message>
    <message>
        <source>The order the Hub lists the results in</source>
        <translation>Ordningen som Hub listar resultaten i</translation>
    </message>
    <message>
        <source>Hub search results</source>
        <translation>Sökresultat från Hub</translation>
    </message>
    <message>
        <source>Offline mode is on (Settings and --offline or SLMDESK_OFFLINE=1).</source>
        <translation>Offlineläget är på (Inställningar och --offline eller SLMDESK_OFFLINE=1).</translation>
    </message>
    <message>
        <source>Offline mode is on (--offline or SLMDESK_OFFLINE=1).</source>
        <translation>Offlineläget är på (--offline eller SLMDESK_OFFLINE=1).</translation>
    </message>
    <message>
        <source>Offline mode is on (Settings).</source>
        <translation>Offlineläget är på (Inställningar).</translation>
    </message>
    <message>
        <source>To connect, run without --offline and with SLMDESK_OFFLINE unset.</source>
        <translation>För att ansluta: kör utan --offline och med SLMDESK_OFFLINE borttagen.</translation>
    </message>
    <message>
        <source>To connect, clear Settings &gt; Offline mode (or set &quot;offline_mode&quot;: false in the settings file).</source>
        <translation>För att ansluta: avmarkera Inställningar &gt; Offlineläge (eller sätt &quot;offline_mode&quot;: false i inställningsfilen).</translation>
    </message>
    <message>
        <source>HF_HUB_OFFLINE is set in the environment, so huggingface_hub refuses to connect. Unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE and restart slmdesk to use the Hub.</source>
        <translation>HF_HUB_OFFLINE är satt i miljön, så huggingface_hub vägrar ansluta. Ta bort HF_HUB_OFFLINE och TRANSFORMERS_OFFLINE och starta om slmdesk för att använda Hub.</translation>
    </message>
    <message>
        <source>&lt;b&gt;The Hub is off.&lt;/b&gt; {reason} The Curated and Recommend tabs work offline.</source>
        <translation>&lt;b&gt;Hub är avstängd.&lt;/b&gt; {reason} Flikarna Utvalda och Rekommenderade fungerar offline.</translation>
    </message>
    <message>
        <source>Type a word from a model&apos;s name, or pick GGUF or ONNX to browse.</source>
        <translation>Skriv ett ord ur en modells namn, eller välj GGUF eller ONNX för att bläddra.</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Söker…</translation>
    </message>
    <message>
        <source>Loading more…</source>
        <translation>Hämtar fler…</translation>
    </message>
    <message>
        <source>Search the Hub for {query}</source>
        <translation>Sök på Hub efter {query}</translation>
    </message>
    <message>
        <source>No repository matches.</source>
        <translation>Inget förråd matchar.</translation>
    </message>
    <message numerus="yes">
        <source>%n result(s), more when you scroll down</source>
        <translation>
            <numerusform>%n resultat, fler när du rullar nedåt</numerusform>
            <numerusform>%n resultat, fler när du rullar nedåt</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n result(s)</source>
        <translation>
            <numerusform>%n resultat</numerusform>
            <numerusform>%n resultat</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>JobListModel</name>
    <message>
        <source>Queued</source>
        <translation>I kö</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>Pågår</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Klar</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Misslyckades</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Avbrutet</translation>
    </message>
    <message>
        <source>Job</source>
        <translation>Jobb</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Förlopp</translation>
    </message>
    <message>
        <source>Transferred</source>
        <translation>Överfört</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Hastighet</translation>
    </message>
    <message>
        <source>ETA</source>
        <translation>Tid kvar</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Meddelande</translation>
    </message>
    <message>
        <source>Estimated time left</source>
        <translation>Uppskattad tid kvar</translation>
    </message>
    <message>
        <source>Cancel a job that is queued or running</source>
        <translation>Avbryt ett jobb som ligger i kö eller pågår</translation>
    </message>
    <message>
        <source>Cancel this job</source>
        <translation>Avbryt jobbet</translation>
    </message>
    <message>
        <source>Cancel {job}</source>
        <translation>Avbryt {job}</translation>
    </message>
    <message>
        <source>Finished in {duration}</source>
        <translation>Klart på {duration}</translation>
    </message>
</context>
<context>
    <name>JobsPane</name>
    <message>
        <source>Jobs</source>
        <translation>Jobb</translation>
    </message>
    <message>
        <source>No jobs yet. Downloads, checksums, quantizations and benchmarks appear here while they run, with their progress and a Cancel button.</source>
        <translation>Inga jobb ännu. Nedladdningar, kontrollsummor, kvantiseringar och prestandatest visas här medan de pågår, med förlopp och en Avbryt-knapp.</translation>
    </message>
    <message>
        <source>Press Delete to cancel the selected jobs</source>
        <translation>Tryck på Del för att avbryta de markerade jobben</translation>
    </message>
    <message>
        <source>Cancel selected</source>
        <translation>Avbryt markerade</translation>
    </message>
    <message>
        <source>Cancel the selected jobs (Delete)</source>
        <translation>Avbryt de markerade jobben (Del)</translation>
    </message>
    <message>
        <source>Cancel the selected jobs</source>
        <translation>Avbryt de markerade jobben</translation>
    </message>
    <message>
        <source>Clear finished</source>
        <translation>Rensa avslutade</translation>
    </message>
    <message>
        <source>Remove finished, failed and cancelled jobs from the list</source>
        <translation>Ta bort avslutade, misslyckade och avbrutna jobb ur listan</translation>
    </message>
    <message numerus="yes">
        <source>%n running or queued</source>
        <translation>
            <numerusform>%n pågår eller i kö</numerusform>
            <numerusform>%n pågår eller i kö</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n finished</source>
        <translation>
            <numerusform>%n avslutat</numerusform>
            <numerusform>%n avslutade</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation>
            <numerusform>%n misslyckat</numerusform>
            <numerusform>%n misslyckade</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LatencyChartView</name>
    <message>
        <source>Latency percentiles per level (ms)</source>
        <translation>Latenspercentiler per nivå (ms)</translation>
    </message>
    <message>
        <source>Latency chart</source>
        <translation>Latensdiagram</translation>
    </message>
    <message>
        <source>Model: {model}</source>
        <translation>Modell: {model}</translation>
    </message>
    <message>
        <source>Concurrency · request rate</source>
        <translation>Samtidighet · förfrågningstakt</translation>
    </message>
    <message>
        <source>ms</source>
        <translation>ms</translation>
    </message>
</context>
<context>
    <name>LibraryPane</name>
    <message>
        <source>Format</source>
        <translation>format</translation>
    </message>
    <message>
        <source>Any format</source>
        <translation>Alla format</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>kvantisering</translation>
    </message>
    <message>
        <source>Any quantization</source>
        <translation>Alla kvantiseringar</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>källa</translation>
    </message>
    <message>
        <source>Any source</source>
        <translation>Alla källor</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>status</translation>
    </message>
    <message>
        <source>Any status</source>
        <translation>Alla statusar</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Library&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;Bibliotek&lt;/h2&gt;</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>Lägg till filer…</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>Lägg till mapp…</translation>
    </message>
    <message>
        <source>Rescan</source>
        <translation>Sök igenom igen</translation>
    </message>
    <message>
        <source>Scan every known folder again (F5)</source>
        <translation>Sök igenom alla kända mappar igen (F5)</translation>
    </message>
    <message>
        <source>Filter by name, architecture, quantization, source (Ctrl+F)</source>
        <translation>Filtrera på namn, arkitektur, kvantisering, källa (Ctrl+F)</translation>
    </message>
    <message>
        <source>Filter models</source>
        <translation>Filtrera modeller</translation>
    </message>
    <message>
        <source>Filter by {facet}</source>
        <translation>Filtrera på {facet}</translation>
    </message>
    <message>
        <source>Open in Chat</source>
        <translation>Öppna i Chatt</translation>
    </message>
    <message>
        <source>Open in Benchmark</source>
        <translation>Öppna i Prestandatest</translation>
    </message>
    <message>
        <source>Open in Quantize</source>
        <translation>Öppna i Kvantisera</translation>
    </message>
    <message>
        <source>Make a smaller GGUF or an ONNX model from this one</source>
        <translation>Gör en mindre GGUF- eller en ONNX-modell av den här</translation>
    </message>
    <message>
        <source>Export deployment…</source>
        <translation>Exportera driftsättning…</translation>
    </message>
    <message>
        <source>Write the files to serve this model with Ollama, llama-server, vLLM, Kubernetes</source>
        <translation>Skriv filerna för att köra modellen med Ollama, llama-server, vLLM, Kubernetes</translation>
    </message>
    <message>
        <source>Verify checksum</source>
        <translation>Verifiera kontrollsumma</translation>
    </message>
    <message>
        <source>Compute the SHA-256 of the model&apos;s files</source>
        <translation>Beräkna SHA-256 för modellens filer</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Ta bort</translation>
    </message>
    <message>
        <source>Forget the selected model; its files stay on disk</source>
        <translation>Glöm den valda modellen; dess filer ligger kvar på disken</translation>
    </message>
    <message>
        <source>Remove from the library</source>
        <translation>Ta bort från biblioteket</translation>
    </message>
    <message>
        <source>Delete from disk…</source>
        <translation>Radera från disken…</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modeller</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>Passning</translation>
    </message>
    <message>
        <source>Estimating {name}</source>
        <translation>Beräknar {name}</translation>
    </message>
    <message>
        <source>Estimate fit</source>
        <translation>Beräkna passning</translation>
    </message>
    <message>
        <source>Read lineage</source>
        <translation>Läs härstamning</translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %Ln model(s) shown</source>
        <translation>
            <numerusform>{shown} av %Ln modell visas</numerusform>
            <numerusform>{shown} av %Ln modeller visas</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln model(s)</source>
        <translation>
            <numerusform>%Ln modell</numerusform>
            <numerusform>%Ln modeller</numerusform>
        </translation>
    </message>
    <message>
        <source>Scan {names}</source>
        <translation>Sök igenom {names}</translation>
    </message>
    <message>
        <source>Add model files</source>
        <translation>Lägg till modellfiler</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF-modeller (*.gguf);;Alla filer (*)</translation>
    </message>
    <message>
        <source>Add a folder of models</source>
        <translation>Lägg till en mapp med modeller</translation>
    </message>
    <message>
        <source>Rescan the library</source>
        <translation>Sök igenom biblioteket igen</translation>
    </message>
    <message>
        <source>Add {name}</source>
        <translation>Lägg till {name}</translation>
    </message>
    <message>
        <source>Verify {name}</source>
        <translation>Verifiera {name}</translation>
    </message>
    <message>
        <source>Remove {name} from the library? Its files stay on disk.</source>
        <translation>Ta bort {name} från biblioteket? Dess filer ligger kvar på disken.</translation>
    </message>
    <message>
        <source>its load settings</source>
        <translation>dess inläsningsinställningar</translation>
    </message>
    <message numerus="yes">
        <source>%n fit estimate(s)</source>
        <translation>
            <numerusform>%n passningsberäkning</numerusform>
            <numerusform>%n passningsberäkningar</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n memory measurement(s)</source>
        <translation>
            <numerusform>%n minnesmätning</numerusform>
            <numerusform>%n minnesmätningar</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n benchmark run(s), with the model&apos;s name and SHA-256</source>
        <translation>
            <numerusform>%n körning av prestandatest, med modellens namn och SHA-256</numerusform>
            <numerusform>%n körningar av prestandatest, med modellens namn och SHA-256</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conversation(s)</source>
        <translation>
            <numerusform>%n konversation</numerusform>
            <numerusform>%n konversationer</numerusform>
        </translation>
    </message>
    <message>
        <source>, </source>
        <comment>between the items of a list</comment>
        <translation>, </translation>
    </message>
    <message>
        <source>Forgotten with it: {items}.</source>
        <translation>Glöms tillsammans med den: {items}.</translation>
    </message>
    <message>
        <source>Nothing else is forgotten with it.</source>
        <translation>Inget annat glöms tillsammans med den.</translation>
    </message>
    <message>
        <source>Kept: {items}.</source>
        <translation>Behålls: {items}.</translation>
    </message>
    <message>
        <source>Delete from disk</source>
        <translation>Radera från disken</translation>
    </message>
    <message>
        <source>Delete {name} ({size}) from disk?</source>
        <translation>Radera {name} ({size}) från disken?</translation>
    </message>
    <message>
        <source>This cannot be undone.</source>
        <translation>Det går inte att ångra.</translation>
    </message>
    <message>
        <source>Delete failed</source>
        <translation>Det gick inte att radera</translation>
    </message>
    <message>
        <source>Export deployment</source>
        <translation>Exportera driftsättning</translation>
    </message>
    <message numerus="yes">
        <source>Wrote %n file(s) into {folder}; its README.md says how to apply them.</source>
        <translation>
            <numerusform>Skrev %n fil i {folder}; dess README.md beskriver hur du använder den.</numerusform>
            <numerusform>Skrev %n filer i {folder}; dess README.md beskriver hur du använder dem.</numerusform>
        </translation>
    </message>
    <message>
        <source>Open the folder?</source>
        <translation>Öppna mappen?</translation>
    </message>
</context>
<context>
    <name>LineagePanel</name>
    <message>
        <source>quantization</source>
        <translation>kvantisering</translation>
    </message>
    <message>
        <source>conversion to GGUF</source>
        <translation>konvertering till GGUF</translation>
    </message>
    <message>
        <source>ONNX build</source>
        <translation>ONNX-bygge</translation>
    </message>
    <message>
        <source>{name} &lt;i&gt;(not in the library)&lt;/i&gt;</source>
        <translation>{name} &lt;i&gt;(finns inte i biblioteket)&lt;/i&gt;</translation>
    </message>
    <message>
        <source>&lt;i&gt;unknown&lt;/i&gt;</source>
        <translation>&lt;i&gt;okänd&lt;/i&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Made from:&lt;/b&gt; {source}</source>
        <translation>&lt;b&gt;Skapad från:&lt;/b&gt; {source}</translation>
    </message>
    <message>
        <source>&lt;b&gt;By:&lt;/b&gt; {kind} to &lt;b&gt;{type}&lt;/b&gt;</source>
        <translation>&lt;b&gt;Genom:&lt;/b&gt; {kind} till &lt;b&gt;{type}&lt;/b&gt;</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <source>&lt;b&gt;Importance matrix:&lt;/b&gt; {name} (SHA-256 {sha256})</source>
        <translation>&lt;b&gt;Viktighetsmatris:&lt;/b&gt; {name} (SHA-256 {sha256})</translation>
    </message>
    <message>
        <source>&lt;b&gt;Importance matrix:&lt;/b&gt; none</source>
        <translation>&lt;b&gt;Viktighetsmatris:&lt;/b&gt; ingen</translation>
    </message>
    <message>
        <source>&lt;b&gt;Calibration text:&lt;/b&gt; SHA-256 {sha256}</source>
        <translation>&lt;b&gt;Kalibreringstext:&lt;/b&gt; SHA-256 {sha256}</translation>
    </message>
    <message>
        <source>&lt;b&gt;Tools:&lt;/b&gt; {tools}</source>
        <translation>&lt;b&gt;Verktyg:&lt;/b&gt; {tools}</translation>
    </message>
    <message>
        <source>&lt;b&gt;When:&lt;/b&gt; {when}, took {seconds} s</source>
        <translation>&lt;b&gt;När:&lt;/b&gt; {when}, tog {seconds} s</translation>
    </message>
    <message>
        <source>&lt;b&gt;When:&lt;/b&gt; {when}</source>
        <translation>&lt;b&gt;När:&lt;/b&gt; {when}</translation>
    </message>
    <message>
        <source>How this model was made</source>
        <translation>Hur modellen skapades</translation>
    </message>
    <message>
        <source>Variants made from this model</source>
        <translation>Varianter skapade från den här modellen</translation>
    </message>
    <message>
        <source>Quantize again</source>
        <translation>Kvantisera igen</translation>
    </message>
    <message>
        <source>Open the Quantize pane with this model&apos;s source</source>
        <translation>Öppna Kvantisera med den här modellens källa</translation>
    </message>
    <message>
        <source>Compare with source</source>
        <translation>Jämför med källan</translation>
    </message>
    <message>
        <source>Measure the variant against its source in the Quantize pane&apos;s quality view</source>
        <translation>Mät varianten mot dess källa i kvalitetsvyn under Kvantisera</translation>
    </message>
    <message>
        <source>Delete variant…</source>
        <translation>Radera variant…</translation>
    </message>
    <message>
        <source>Delete the selected variant&apos;s files from disk (asks first)</source>
        <translation>Radera den valda variantens filer från disken (frågar först)</translation>
    </message>
    <message>
        <source>&lt;i&gt;Select a model to see where it came from.&lt;/i&gt;</source>
        <translation>&lt;i&gt;Välj en modell för att se var den kommer ifrån.&lt;/i&gt;</translation>
    </message>
    <message>
        <source>Not made by slmdesk: downloaded or adopted as it is.</source>
        <translation>Inte skapad av slmdesk: nedladdad eller tillagd som den är.</translation>
    </message>
    <message numerus="yes">
        <source>&lt;b&gt;Variants made from it:&lt;/b&gt; %n</source>
        <translation>
            <numerusform>&lt;b&gt;Varianter skapade från den:&lt;/b&gt; %n</numerusform>
            <numerusform>&lt;b&gt;Varianter skapade från den:&lt;/b&gt; %n</numerusform>
        </translation>
    </message>
    <message>
        <source>&lt;b&gt;Variants made from it:&lt;/b&gt; none yet</source>
        <translation>&lt;b&gt;Varianter skapade från den:&lt;/b&gt; inga ännu</translation>
    </message>
    <message>
        <source>&lt;i&gt;Reading the lineage…&lt;/i&gt;</source>
        <translation>&lt;i&gt;Läser härstamningen…&lt;/i&gt;</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Library</source>
        <translation>Bibliotek</translation>
    </message>
    <message>
        <source>Catalog</source>
        <translation>Katalog</translation>
    </message>
    <message>
        <source>Quantize</source>
        <translation>Kvantisera</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Chatt</translation>
    </message>
    <message>
        <source>Benchmark</source>
        <translation>Prestandatest</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Jobb</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Inställningar</translation>
    </message>
    <message>
        <source>Panes</source>
        <translation>Vyer</translation>
    </message>
    <message>
        <source>{pane} (Ctrl+{number})</source>
        <translation>{pane} (Ctrl+{number})</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Arkiv</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Avsluta</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Visa</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hjälp</translation>
    </message>
    <message>
        <source>&amp;Network log…</source>
        <translation>&amp;Nätverkslogg…</translation>
    </message>
    <message>
        <source>The connections slmdesk attempted beyond this computer (blocked in offline mode)</source>
        <translation>Anslutningarna som slmdesk försökt göra utanför den här datorn (blockerade i offlineläge)</translation>
    </message>
    <message>
        <source>&amp;About slmdesk</source>
        <translation>&amp;Om slmdesk</translation>
    </message>
    <message>
        <source>Local API server: {error}</source>
        <translation>Lokal API-server: {error}</translation>
    </message>
    <message>
        <source>{pane} — slmdesk</source>
        <translation>{pane} — slmdesk</translation>
    </message>
    <message>
        <source>Offline mode stays on until slmdesk restarts: it was started with --offline or SLMDESK_OFFLINE=1.</source>
        <translation>Offlineläget är på tills slmdesk startas om: det startades med --offline eller SLMDESK_OFFLINE=1.</translation>
    </message>
    <message>
        <source>Load settings saved: Chat and Benchmark will use them.</source>
        <translation>Inläsningsinställningarna har sparats: Chatt och Prestandatest använder dem.</translation>
    </message>
    <message>
        <source>Quit slmdesk?</source>
        <translation>Avsluta slmdesk?</translation>
    </message>
    <message numerus="yes">
        <source>%n job(s) are still running or queued. Quit and cancel them?</source>
        <translation>
            <numerusform>%n jobb körs eller står i kö. Vill du avsluta och avbryta det?</numerusform>
            <numerusform>%n jobb körs eller står i kö. Vill du avsluta och avbryta dem?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ModelBar</name>
    <message>
        <source>No models yet: add one in the Library</source>
        <translation>Inga modeller än: lägg till en i Biblioteket</translation>
    </message>
    <message>
        <source>{name} has no chat template: it is a base model, so this conversation is in completion mode (the model continues your text). Choose Chat mode to try it with the ChatML format anyway.</source>
        <translation>{name} har ingen chattmall: det är en basmodell, så den här konversationen är i fortsättningsläge (modellen fortsätter din text). Välj läget Chatt för att ändå prova den med ChatML-formatet.</translation>
    </message>
    <message>
        <source>Load settings (change them in Library &gt; Fit): n_ctx {n_ctx}, KV {kv_type}, GPU layers {gpu_layers}</source>
        <translation>Inläsningsinställningar (ändra dem i Bibliotek &gt; Passning): n_ctx {n_ctx}, KV {kv_type}, GPU-lager {gpu_layers}</translation>
    </message>
    <message>
        <source>Loaded {name} · {backend} {version} · n_ctx {n_ctx} · load {seconds} s · engine peak {memory}</source>
        <translation>{name} inläst · {backend} {version} · n_ctx {n_ctx} · inläsning {seconds} s · motorns topp {memory}</translation>
    </message>
    <message>
        <source>Connected to {model} at {address} · {server}{context} · answered in {seconds} s</source>
        <translation>Ansluten till {model} på {address} · {server}{context} · svarade på {seconds} s</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>The model to chat with: your models, then those of remote servers</source>
        <translation>Modellen att chatta med: dina modeller, sedan fjärrservrarnas</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>Modell:</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>Läs in</translation>
    </message>
    <message>
        <source>Load the chosen model (a remote model: connect to it)</source>
        <translation>Läs in den valda modellen (en fjärrmodell: anslut till den)</translation>
    </message>
    <message>
        <source>Unload</source>
        <translation>Ta ur minnet</translation>
    </message>
    <message>
        <source>Free the memory the loaded model takes</source>
        <translation>Frigör minnet som den inlästa modellen tar</translation>
    </message>
    <message>
        <source>Loading</source>
        <translation>Läser in</translation>
    </message>
    <message>
        <source>No model loaded.</source>
        <translation>Ingen modell är inläst.</translation>
    </message>
</context>
<context>
    <name>NetworkLogDialog</name>
    <message>
        <source>Offline mode is off.</source>
        <translation>Offlineläget är av.</translation>
    </message>
    <message>
        <source>Offline mode is on (Settings and --offline or SLMDESK_OFFLINE=1).</source>
        <translation>Offlineläget är på (Inställningar och --offline eller SLMDESK_OFFLINE=1).</translation>
    </message>
    <message>
        <source>Offline mode is on (--offline or SLMDESK_OFFLINE=1).</source>
        <translation>Offlineläget är på (--offline eller SLMDESK_OFFLINE=1).</translation>
    </message>
    <message>
        <source>Offline mode is on (Settings).</source>
        <translation>Offlineläget är på (Inställningar).</translation>
    </message>
    <message>
        <source>Network log — slmdesk</source>
        <translation>Nätverkslogg — slmdesk</translation>
    </message>
    <message>
        <source>Network log entries</source>
        <translation>Nätverksloggens poster</translation>
    </message>
    <message>
        <source>The connections attempted beyond this computer, newest first</source>
        <translation>Anslutningsförsöken utanför den här datorn, nyaste först</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Uppdatera</translation>
    </message>
    <message>
        <source>Refresh the Network log</source>
        <translation>Uppdatera nätverksloggen</translation>
    </message>
    <message>
        <source>Open folder</source>
        <translation>Öppna mapp</translation>
    </message>
    <message>
        <source>Open the Network log&apos;s folder</source>
        <translation>Öppna nätverksloggens mapp</translation>
    </message>
    <message>
        <source>Open {folder} in the file manager</source>
        <translation>Öppna {folder} i filhanteraren</translation>
    </message>
    <message>
        <source>Cannot read {path}: {reason}.</source>
        <translation>Kan inte läsa {path}: {reason}.</translation>
    </message>
    <message>
        <source>Every connection beyond this computer is blocked; the local API server and models on this computer keep working.</source>
        <translation>Alla anslutningar utanför den här datorn blockeras; den lokala API-servern och modellerna på den här datorn fungerar som vanligt.</translation>
    </message>
    <message>
        <source>Connections slmdesk makes beyond this computer (the Hugging Face Hub) are listed here.</source>
        <translation>Anslutningar som slmdesk gör utanför den här datorn (till Hugging Face Hub) listas här.</translation>
    </message>
    <message numerus="yes">
        <source>%n attempt(s) logged, {blocked} blocked.</source>
        <translation>
            <numerusform>%n försök loggat, {blocked} blockerade.</numerusform>
            <numerusform>%n försök loggade, {blocked} blockerade.</numerusform>
        </translation>
    </message>
    <message>
        <source>No connection beyond this computer has been attempted.</source>
        <translation>Inga anslutningar utanför den här datorn har försökts.</translation>
    </message>
</context>
<context>
    <name>NetworkLogModel</name>
    <message>
        <source>Time (UTC)</source>
        <translation>Tid (UTC)</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Resultat</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Åtgärd</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>Mål</translation>
    </message>
    <message>
        <source>Process</source>
        <translation>Process</translation>
    </message>
    <message>
        <source>Origin</source>
        <translation>Ursprung</translation>
    </message>
    <message>
        <source>Blocked: offline mode refused it, nothing left this computer. Allowed: offline mode was off.</source>
        <translation>Blockerad: offlineläget stoppade det, inget lämnade den här datorn. Tillåten: offlineläget var av.</translation>
    </message>
    <message>
        <source>connect: a connection; send: a datagram; resolve: a host-name lookup (a DNS query); request: an HTTP request (method, URL, status, bytes received, duration).</source>
        <translation>connect: en anslutning; send: ett datagram; resolve: en uppslagning av ett värdnamn (en DNS-fråga); request: en HTTP-förfrågan (metod, URL, status, mottagna byte, tid).</translation>
    </message>
    <message>
        <source>The slmdesk function that asked, else the library module that opened the socket.</source>
        <translation>Den slmdesk-funktion som frågade, annars den biblioteksmodul som öppnade socketen.</translation>
    </message>
    <message>
        <source>module {module}, called from {caller}</source>
        <translation>modul {module}, anropad från {caller}</translation>
    </message>
    <message>
        <source>module {module}</source>
        <translation>modul {module}</translation>
    </message>
    <message>
        <source>{process}, pid {pid}, thread {thread}: {origin}</source>
        <translation>{process}, pid {pid}, tråd {thread}: {origin}</translation>
    </message>
    <message>
        <source>Blocked</source>
        <translation>Blockerad</translation>
    </message>
    <message>
        <source>Allowed</source>
        <translation>Tillåten</translation>
    </message>
    <message>
        <source>guard started (offline)</source>
        <translation>spärren startad (offline)</translation>
    </message>
    <message>
        <source>guard started (online)</source>
        <translation>spärren startad (online)</translation>
    </message>
    <message>
        <source>no answer</source>
        <translation>inget svar</translation>
    </message>
    <message>
        <source>{method} {url} → {status}, {received}</source>
        <translation>{method} {url} → {status}, {received}</translation>
    </message>
    <message>
        <source>{method} {url} → {status}, {received}, {seconds} s</source>
        <translation>{method} {url} → {status}, {received}, {seconds} s</translation>
    </message>
</context>
<context>
    <name>PreferencesBox</name>
    <message>
        <source>Preferences</source>
        <translation>Allmänna inställningar</translation>
    </message>
    <message>
        <source>System default ({language})</source>
        <translation>Systemets språk ({language})</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Språk</translation>
    </message>
    <message>
        <source>The language of slmdesk&apos;s windows; applied when slmdesk restarts.</source>
        <translation>Språket i slmdesks fönster; används när slmdesk startas om.</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>Följ systemet</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Ljust</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Mörkt</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Tema</translation>
    </message>
    <message>
        <source>The colours of slmdesk&apos;s windows; applied when you save.</source>
        <translation>Färgerna i slmdesks fönster; används när du sparar.</translation>
    </message>
    <message>
        <source>Default context in tokens</source>
        <translation>Standardkontext i token</translation>
    </message>
    <message>
        <source>The context a model is loaded with until you choose one in its Fit panel; never more than the model was trained for. Larger contexts take more memory.</source>
        <translation>Den kontext en modell läses in med tills du väljer en i dess passningspanel; aldrig mer än modellen tränades för. Större kontext tar mer minne.</translation>
    </message>
    <message numerus="yes">
        <source>Automatic (%n physical core(s))</source>
        <translation>
            <numerusform>Automatiskt (%n fysisk kärna)</numerusform>
            <numerusform>Automatiskt (%n fysiska kärnor)</numerusform>
        </translation>
    </message>
    <message>
        <source>Automatic (all cores)</source>
        <translation>Automatiskt (alla kärnor)</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Trådar</translation>
    </message>
    <message>
        <source>Generation threads for models whose load settings do not set them.</source>
        <translation>Trådar för generering, för modeller vars inläsningsinställningar inte anger några.</translation>
    </message>
    <message>
        <source>Models folder</source>
        <translation>Modellmapp</translation>
    </message>
    <message>
        <source>Empty: the default folder</source>
        <translation>Tomt: standardmappen</translation>
    </message>
    <message>
        <source>Where downloads and quantized models are saved; the Library scans it. Empty: the default folder. Applied when slmdesk restarts.</source>
        <translation>Där nedladdningar och kvantiserade modeller sparas; Biblioteket söker igenom den. Tomt: standardmappen. Används när slmdesk startas om.</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Bläddra…</translation>
    </message>
    <message>
        <source>Choose the models folder</source>
        <translation>Välj modellmapp</translation>
    </message>
    <message>
        <source>Default</source>
        <translation>Standard</translation>
    </message>
    <message>
        <source>Use the default models folder</source>
        <translation>Använd standardmappen för modeller</translation>
    </message>
    <message>
        <source>Empty the field: models go to the default folder.</source>
        <translation>Töm fältet: modellerna hamnar i standardmappen.</translation>
    </message>
    <message>
        <source>Never connect beyond this computer</source>
        <translation>Anslut aldrig utanför den här datorn</translation>
    </message>
    <message>
        <source>No connection leaves this computer, from slmdesk or the engines it starts: Hugging Face Hub search and downloads stop; models on this computer, Chat, Benchmark and the local API server keep working. Blocked attempts are listed in the Network log.</source>
        <translation>Inga anslutningar lämnar den här datorn, varken från slmdesk eller från motorerna det startar: sökning och nedladdning från Hugging Face Hub stoppas; modeller på den här datorn, Chatt, Prestandatest och den lokala API-servern fungerar som vanligt. Blockerade försök listas i nätverksloggen.</translation>
    </message>
    <message>
        <source>Network log…</source>
        <translation>Nätverkslogg…</translation>
    </message>
    <message>
        <source>The connections slmdesk attempted beyond this computer</source>
        <translation>Anslutningarna som slmdesk försökt göra utanför den här datorn</translation>
    </message>
    <message>
        <source>Enter sends the message (Shift+Enter: a new line)</source>
        <translation>Enter skickar meddelandet (Shift+Enter: ny rad)</translation>
    </message>
    <message>
        <source>When off, Enter starts a new line. Ctrl+Enter sends either way.</source>
        <translation>När rutan inte är ikryssad börjar Enter en ny rad. Ctrl+Enter skickar i båda fallen.</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Spara</translation>
    </message>
    <message>
        <source>Save the preferences</source>
        <translation>Spara inställningarna</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>Starta om nu</translation>
    </message>
    <message>
        <source>Restart slmdesk now</source>
        <translation>Starta om slmdesk nu</translation>
    </message>
    <message>
        <source>Close slmdesk and start it again (running jobs are cancelled, after you confirm).</source>
        <translation>Stäng slmdesk och starta det igen (jobb som körs avbryts, efter att du bekräftat).</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>Språk:</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>Tema:</translation>
    </message>
    <message>
        <source>Default context (tokens):</source>
        <translation>Standardkontext (token):</translation>
    </message>
    <message>
        <source>Threads:</source>
        <translation>Trådar:</translation>
    </message>
    <message>
        <source>Models folder:</source>
        <translation>Modellmapp:</translation>
    </message>
    <message>
        <source>Offline mode:</source>
        <translation>Offlineläge:</translation>
    </message>
    <message>
        <source>Chat:</source>
        <translation>Chatt:</translation>
    </message>
    <message>
        <source>On for this run whatever this box says: slmdesk was started with --offline or SLMDESK_OFFLINE=1.</source>
        <translation>På under den här körningen oavsett vad rutan visar: slmdesk startades med --offline eller SLMDESK_OFFLINE=1.</translation>
    </message>
    <message>
        <source>The default context &apos;{text}&apos; is not a whole number of tokens.</source>
        <translation>Standardkontexten ”{text}” är inte ett helt antal token.</translation>
    </message>
    <message>
        <source>Type a number such as 4096, or pick one from the list.</source>
        <translation>Skriv ett tal, till exempel 4096, eller välj ett i listan.</translation>
    </message>
    <message>
        <source>The models folder &apos;{path}&apos; is not a full path.</source>
        <translation>Modellmappen ”{path}” är inte en fullständig sökväg.</translation>
    </message>
    <message>
        <source>Choose a folder with the Browse button, or press Default to use the default folder.</source>
        <translation>Välj en mapp med knappen Bläddra, eller tryck på Standard för att använda standardmappen.</translation>
    </message>
    <message>
        <source>The models folder &apos;{path}&apos; is a file, not a folder.</source>
        <translation>Modellmappen ”{path}” är en fil, inte en mapp.</translation>
    </message>
    <message>
        <source>Choose a folder with the Browse button.</source>
        <translation>Välj en mapp med knappen Bläddra.</translation>
    </message>
    <message>
        <source>Cannot create the models folder {path}: {reason}.</source>
        <translation>Kan inte skapa modellmappen {path}: {reason}.</translation>
    </message>
    <message>
        <source>Cannot save the settings to {path}: {reason}.</source>
        <translation>Kan inte spara inställningarna i {path}: {reason}.</translation>
    </message>
    <message>
        <source>Saved to {path}.</source>
        <translation>Sparat i {path}.</translation>
    </message>
    <message>
        <source>The new language and models folder take effect when slmdesk restarts.</source>
        <translation>Det nya språket och den nya modellmappen gäller när slmdesk startas om.</translation>
    </message>
    <message>
        <source>The new language takes effect when slmdesk restarts.</source>
        <translation>Det nya språket gäller när slmdesk startas om.</translation>
    </message>
    <message>
        <source>The new models folder takes effect when slmdesk restarts.</source>
        <translation>Den nya modellmappen gäller när slmdesk startas om.</translation>
    </message>
</context>
<context>
    <name>QualityChartView</name>
    <message>
        <source>{name} ({type})</source>
        <translation>{name} ({type})</translation>
    </message>
    <message>
        <source>size {size}</source>
        <translation>storlek {size}</translation>
    </message>
    <message>
        <source>perplexity {perplexity}</source>
        <translation>perplexitet {perplexity}</translation>
    </message>
    <message>
        <source>KLD {kld}</source>
        <translation>KLD {kld}</translation>
    </message>
    <message>
        <source>top-1 {top1}</source>
        <translation>topp-1 {top1}</translation>
    </message>
    <message>
        <source>tg {tg} t/s, pp {pp} t/s</source>
        <translation>tg {tg} t/s, pp {pp} t/s</translation>
    </message>
    <message>
        <source>Chart of size against perplexity</source>
        <translation>Diagram över storlek mot perplexitet</translation>
    </message>
    <message>
        <source>One point per measured variant: file size across, perplexity up; lower left is better. The table above holds the same figures.</source>
        <translation>En punkt per uppmätt variant: filstorlek i sidled, perplexitet i höjdled; längre ned till vänster är bättre. Tabellen ovanför har samma siffror.</translation>
    </message>
    <message>
        <source>Size and perplexity (lower left is better)</source>
        <translation>Storlek och perplexitet (ned till vänster är bäst)</translation>
    </message>
    <message>
        <source>Size and perplexity: press Compare to measure</source>
        <translation>Storlek och perplexitet: tryck Jämför för att mäta</translation>
    </message>
    <message>
        <source>Size (MiB)</source>
        <translation>Storlek (MiB)</translation>
    </message>
    <message>
        <source>Perplexity</source>
        <translation>Perplexitet</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Källa</translation>
    </message>
    <message>
        <source>Variants</source>
        <translation>Varianter</translation>
    </message>
</context>
<context>
    <name>QualityTableModel</name>
    <message>
        <source>Variant</source>
        <translation>Variant</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Storlek</translation>
    </message>
    <message>
        <source>Perplexity</source>
        <translation>Perplexitet</translation>
    </message>
    <message>
        <source>KLD vs source</source>
        <translation>KLD mot källan</translation>
    </message>
    <message>
        <source>Top-1 agreement</source>
        <translation>Topp-1-överensstämmelse</translation>
    </message>
    <message>
        <source>pp t/s</source>
        <translation>pp t/s</translation>
    </message>
    <message>
        <source>tg t/s</source>
        <translation>tg t/s</translation>
    </message>
    <message>
        <source>Perplexity on the held-out text (lower is better), ± its standard error</source>
        <translation>Perplexitet på den undanhållna texten (lägre är bättre), ± dess medelfel</translation>
    </message>
    <message>
        <source>Mean Kullback-Leibler divergence from the source&apos;s token distributions (nats; 0 = identical)</source>
        <translation>Genomsnittlig Kullback-Leibler-divergens från källans tokenfördelningar (nat; 0 = identiska)</translation>
    </message>
    <message>
        <source>Share of positions where the variant&apos;s most likely token is the source&apos;s</source>
        <translation>Andel positioner där variantens mest sannolika token är densamma som källans</translation>
    </message>
    <message>
        <source>Prompt processing speed of the newest benchmark (Benchmark pane), tokens/s</source>
        <translation>Hastighet för promptbearbetning i det senaste prestandatestet (Prestandatest), token/s</translation>
    </message>
    <message>
        <source>Token generation speed of the newest benchmark (Benchmark pane), tokens/s</source>
        <translation>Hastighet för tokengenerering i det senaste prestandatestet (Prestandatest), token/s</translation>
    </message>
    <message numerus="yes">
        <source>n_ctx {n_ctx}, %n token(s) scored</source>
        <translation>
            <numerusform>n_ctx {n_ctx}, %n token bedömd</numerusform>
            <numerusform>n_ctx {n_ctx}, %n token bedömda</numerusform>
        </translation>
    </message>
    <message>
        <source>{bytes} bytes</source>
        <translation>{bytes} byte</translation>
    </message>
    <message>
        <source>{name} (source)</source>
        <translation>{name} (källa)</translation>
    </message>
</context>
<context>
    <name>QualityView</name>
    <message>
        <source>&lt;b&gt;Quality, side by side&lt;/b&gt;</source>
        <translation>&lt;b&gt;Kvalitet sida vid sida&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Base (source) model</source>
        <translation>Basmodell (källa)</translation>
    </message>
    <message>
        <source>Variant to compare</source>
        <translation>Variant att jämföra</translation>
    </message>
    <message>
        <source> tokens</source>
        <comment>suffix of the context spin box</comment>
        <translation> token</translation>
    </message>
    <message>
        <source>Context of the quality check</source>
        <translation>Kontext för kvalitetskontrollen</translation>
    </message>
    <message>
        <source>Perplexity is measured in windows of this many tokens of the held-out text</source>
        <translation>Perplexiteten mäts i fönster med så här många token av den undanhållna texten</translation>
    </message>
    <message>
        <source>Measure speed too</source>
        <translation>Mät även hastighet</translation>
    </message>
    <message>
        <source>After the comparison, a quick benchmark of both (pp128/tg32 ×3, as the Benchmark pane&apos;s quick preset); otherwise speeds come from the newest run in the Benchmark pane</source>
        <translation>Efter jämförelsen ett snabbt prestandatest av båda (pp128/tg32 ×3, som snabbförvalet under Prestandatest); annars hämtas hastigheterna från den senaste körningen under Prestandatest</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Jämför</translation>
    </message>
    <message>
        <source>Perplexity of both on the held-out text, and how far the variant&apos;s token probabilities are from the base&apos;s (KL divergence, top-1 agreement)</source>
        <translation>Perplexitet för båda på den undanhållna texten, och hur långt variantens tokensannolikheter ligger från basmodellens (KL-divergens, topp-1-överensstämmelse)</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportera…</translation>
    </message>
    <message>
        <source>Save the table as CSV, JSON or Markdown</source>
        <translation>Spara tabellen som CSV, JSON eller Markdown</translation>
    </message>
    <message>
        <source>Export the variants table</source>
        <translation>Exportera varianttabellen</translation>
    </message>
    <message>
        <source>Speeds (pp/tg): the newest benchmark of each (Benchmark pane).</source>
        <translation>Hastigheter (pp/tg): det senaste prestandatestet av varje (Prestandatest).</translation>
    </message>
    <message>
        <source>Variants of the model</source>
        <translation>Modellens varianter</translation>
    </message>
    <message>
        <source>Base:</source>
        <translation>Bas:</translation>
    </message>
    <message>
        <source>Variant:</source>
        <translation>Variant:</translation>
    </message>
    <message>
        <source>Context:</source>
        <translation>Kontext:</translation>
    </message>
</context>
<context>
    <name>QuantTypeModel</name>
    <message>
        <source>16-bit float</source>
        <translation>16-bitars flyttal</translation>
    </message>
    <message>
        <source>no quantization loss</source>
        <translation>ingen kvantiseringsförlust</translation>
    </message>
    <message>
        <source>needs an importance matrix</source>
        <translation>kräver en viktighetsmatris</translation>
    </message>
    <message>
        <source>needs an importance matrix (its attn_q/attn_k are IQ3_XXS)</source>
        <translation>kräver en viktighetsmatris (dess attn_q/attn_k är IQ3_XXS)</translation>
    </message>
    <message>
        <source>for ternary (BitNet) models only</source>
        <translation>endast för ternära modeller (BitNet)</translation>
    </message>
    <message>
        <source>MXFP4 experts</source>
        <translation>MXFP4-experter</translation>
    </message>
    <message>
        <source>Q8_0 elsewhere</source>
        <translation>Q8_0 i övrigt</translation>
    </message>
    <message>
        <source>for mixture-of-experts models only</source>
        <translation>endast för mixture-of-experts-modeller</translation>
    </message>
    <message>
        <source>non-linear</source>
        <translation>icke-linjär</translation>
    </message>
    <message>
        <source>mix</source>
        <translation>blandning</translation>
    </message>
    <message>
        <source>ternary</source>
        <translation>ternär</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Predicted size</source>
        <translation>Väntad storlek</translation>
    </message>
    <message>
        <source>Fit here</source>
        <translation>Passar här</translation>
    </message>
    <message>
        <source>Imatrix</source>
        <translation>Imatrix</translation>
    </message>
    <message>
        <source>About</source>
        <translation>Om</translation>
    </message>
    <message>
        <source>The output file&apos;s size predicted from the source&apos;s tensors</source>
        <translation>Utdatafilens storlek, beräknad i förväg från källans tensorer</translation>
    </message>
    <message>
        <source>Will the output run on this machine (its load settings&apos; context, from the predicted size)</source>
        <translation>Kommer resultatet att köras på den här datorn (med inläsningsinställningarnas kontext, utifrån den väntade storleken)</translation>
    </message>
    <message>
        <source>Importance matrix: types marked &quot;required&quot; cannot be made without one for this model</source>
        <translation>Viktighetsmatris: typer markerade &quot;krävs&quot; kan inte skapas utan en för den här modellen</translation>
    </message>
    <message>
        <source>{bytes} bytes</source>
        <translation>{bytes} byte</translation>
    </message>
    <message>
        <source>required</source>
        <comment>importance matrix</comment>
        <translation>krävs</translation>
    </message>
    <message>
        <source>optional</source>
        <comment>importance matrix</comment>
        <translation>valfri</translation>
    </message>
</context>
<context>
    <name>QuantizeForm</name>
    <message>
        <source>None</source>
        <translation>Ingen</translation>
    </message>
    <message>
        <source>Compute from the shipped calibration text</source>
        <translation>Beräkna från den medföljande kalibreringstexten</translation>
    </message>
    <message>
        <source>Compute from a text file…</source>
        <translation>Beräkna från en textfil…</translation>
    </message>
    <message>
        <source>Load an importance matrix file (.imatrix, .gguf)…</source>
        <translation>Läs in en viktighetsmatrisfil (.imatrix, .gguf)…</translation>
    </message>
    <message>
        <source>int4 (smallest, CPU)</source>
        <translation>int4 (minst, CPU)</translation>
    </message>
    <message>
        <source>fp32 (largest)</source>
        <translation>fp32 (störst)</translation>
    </message>
    <message>
        <source>Source model</source>
        <translation>Källmodell</translation>
    </message>
    <message>
        <source>Open folder…</source>
        <translation>Öppna mapp…</translation>
    </message>
    <message>
        <source>Quantize a Hugging Face model folder (converted to GGUF first)</source>
        <translation>Kvantisera en Hugging Face-modellmapp (konverteras först till GGUF)</translation>
    </message>
    <message>
        <source>Open a Hugging Face model folder</source>
        <translation>Öppna en Hugging Face-modellmapp</translation>
    </message>
    <message>
        <source>About the source</source>
        <translation>Om källan</translation>
    </message>
    <message>
        <source>Quantization types</source>
        <translation>Kvantiseringstyper</translation>
    </message>
    <message>
        <source>Each GGUF type with its predicted size, whether it runs here and whether it needs an importance matrix</source>
        <translation>Varje GGUF-typ med väntad storlek, om den kan köras här och om den kräver en viktighetsmatris</translation>
    </message>
    <message>
        <source>Importance matrix</source>
        <translation>Viktighetsmatris</translation>
    </message>
    <message>
        <source>An importance matrix records which weights matter most on a sample text; the quantization keeps those more precise. Types marked &quot;required&quot; need one.</source>
        <translation>En viktighetsmatris registrerar vilka vikter som betyder mest på en exempeltext; kvantiseringen behåller dem med högre precision. Typer markerade &quot;krävs&quot; behöver en.</translation>
    </message>
    <message>
        <source>Text or importance matrix file</source>
        <translation>Text- eller viktighetsmatrisfil</translation>
    </message>
    <message>
        <source>Calibration text or importance matrix file</source>
        <translation>Kalibreringstext eller viktighetsmatrisfil</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Bläddra…</translation>
    </message>
    <message>
        <source>Browse for the calibration text or importance matrix file</source>
        <translation>Bläddra efter kalibreringstexten eller viktighetsmatrisfilen</translation>
    </message>
    <message>
        <source>Output file</source>
        <translation>Utdatafil</translation>
    </message>
    <message>
        <source>&lt;source name&gt;-&lt;TYPE&gt;.gguf beside the source</source>
        <translation>&lt;källnamn&gt;-&lt;TYP&gt;.gguf bredvid källan</translation>
    </message>
    <message>
        <source>Browse for the output file</source>
        <translation>Bläddra efter utdatafilen</translation>
    </message>
    <message>
        <source>Importance matrix:</source>
        <translation>Viktighetsmatris:</translation>
    </message>
    <message>
        <source>Output file:</source>
        <translation>Utdatafil:</translation>
    </message>
    <message>
        <source>ONNX precision</source>
        <translation>ONNX-precision</translation>
    </message>
    <message>
        <source>ONNX output folder</source>
        <translation>ONNX-utdatamapp</translation>
    </message>
    <message>
        <source>A new folder in slmdesk&apos;s models folder</source>
        <translation>En ny mapp i slmdesks modellmapp</translation>
    </message>
    <message>
        <source>Browse for the ONNX output folder</source>
        <translation>Bläddra efter ONNX-utdatamappen</translation>
    </message>
    <message>
        <source>About ONNX builds</source>
        <translation>Om ONNX-byggen</translation>
    </message>
    <message>
        <source>Precision:</source>
        <translation>Precision:</translation>
    </message>
    <message>
        <source>Output folder:</source>
        <translation>Utdatamapp:</translation>
    </message>
    <message>
        <source>Target format</source>
        <translation>Målformat</translation>
    </message>
    <message>
        <source>&lt;b&gt;Source&lt;/b&gt;</source>
        <translation>&lt;b&gt;Källa&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b&gt;Target&lt;/b&gt;</source>
        <translation>&lt;b&gt;Mål&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Folder: {name}</source>
        <translation>Mapp: {name}</translation>
    </message>
</context>
<context>
    <name>QuantizePane</name>
    <message>
        <source>No model to quantize yet: add an F16, BF16 or F32 GGUF in the Library (a quantized one works too, with less quality), or open a Hugging Face folder.</source>
        <translation>Ingen modell att kvantisera ännu: lägg till en F16-, BF16- eller F32-GGUF i Bibliotek (en kvantiserad fungerar också, med lägre kvalitet), eller öppna en Hugging Face-mapp.</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Kör</translation>
    </message>
    <message>
        <source>Start the quantization or build (Ctrl+Return)</source>
        <translation>Starta kvantiseringen eller bygget (Ctrl+Return)</translation>
    </message>
    <message>
        <source>Run the quantization</source>
        <translation>Kör kvantiseringen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Avbryt</translation>
    </message>
    <message>
        <source>Stop it now; nothing is left behind (Esc)</source>
        <translation>Stoppa nu; inget lämnas kvar (Esc)</translation>
    </message>
    <message>
        <source>Cancel the quantization or quality check</source>
        <translation>Avbryt kvantiseringen eller kvalitetskontrollen</translation>
    </message>
    <message>
        <source>Check quality when done</source>
        <translation>Kontrollera kvaliteten efteråt</translation>
    </message>
    <message>
        <source>Compare the new GGUF with its source on the held-out text (takes a while)</source>
        <translation>Jämför den nya GGUF-filen med dess källa på den undanhållna texten (tar en stund)</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Förlopp</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>Steg</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Quantize&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;Kvantisera&lt;/h2&gt;</translation>
    </message>
    <message>
        <source>That model cannot be quantized: choose a GGUF file or a Hugging Face folder.</source>
        <translation>Den modellen kan inte kvantiseras: välj en GGUF-fil eller en Hugging Face-mapp.</translation>
    </message>
    <message>
        <source>Quantize a Hugging Face model folder</source>
        <translation>Kvantisera en Hugging Face-modellmapp</translation>
    </message>
    <message>
        <source>A Hugging Face folder: it is converted to an F16 GGUF first (kept beside the output), then quantized. Sizes are known once it is converted.</source>
        <translation>En Hugging Face-mapp: den konverteras först till en F16-GGUF (som sparas bredvid resultatet) och kvantiseras sedan. Storlekarna blir kända när den är konverterad.</translation>
    </message>
    <message>
        <source>Reading the source…</source>
        <translation>Läser källan…</translation>
    </message>
    <message>
        <source>Read {name}</source>
        <translation>Läs {name}</translation>
    </message>
    <message>
        <source>This model is already quantized ({type}). Quantizing it again loses more quality than quantizing the original F16/BF16/F32 GGUF; use that if you have it.</source>
        <translation>Den här modellen är redan kvantiserad ({type}). Att kvantisera den igen förlorar mer kvalitet än att kvantisera den ursprungliga F16/BF16/F32-GGUF-filen; använd den om du har den.</translation>
    </message>
    <message>
        <source>unknown type</source>
        <translation>okänd typ</translation>
    </message>
    <message>
        <source>{type} GGUF: the right source for a quantization.</source>
        <translation>{type}-GGUF: rätt källa för en kvantisering.</translation>
    </message>
    <message>
        <source>Unquantized GGUF: the right source for a quantization.</source>
        <translation>Okvantiserad GGUF: rätt källa för en kvantisering.</translation>
    </message>
    <message>
        <source>Probe this machine</source>
        <translation>Undersök den här datorn</translation>
    </message>
    <message>
        <source>Choose a quantization type.</source>
        <translation>Välj en kvantiseringstyp.</translation>
    </message>
    <message>
        <source>Check the quantization</source>
        <translation>Kontrollera kvantiseringen</translation>
    </message>
    <message>
        <source>Ready: {source} → {output}, {type}, about {size}.</source>
        <translation>Redo: {source} → {output}, {type}, cirka {size}.</translation>
    </message>
    <message>
        <source>Ready: the folder is converted to GGUF, then quantized.</source>
        <translation>Redo: mappen konverteras till GGUF och kvantiseras sedan.</translation>
    </message>
    <message>
        <source>Builds {precision} for {provider} with onnxruntime-genai&apos;s model builder into {folder} (needs about {size} of disk while it runs).</source>
        <translation>Bygger {precision} för {provider} med onnxruntime-genais modellbyggare i {folder} (behöver cirka {size} diskutrymme medan det körs).</translation>
    </message>
    <message>
        <source>Ready: ONNX {precision} build of {source}.</source>
        <translation>Redo: ONNX-bygge ({precision}) av {source}.</translation>
    </message>
    <message>
        <source>Still checking the form; try again in a moment.</source>
        <translation>Formuläret kontrolleras fortfarande; försök igen om en stund.</translation>
    </message>
    <message>
        <source>Build ONNX {precision} of {source}</source>
        <translation>Bygg ONNX ({precision}) av {source}</translation>
    </message>
    <message>
        <source>Quantize {source} to {type}</source>
        <translation>Kvantisera {source} till {type}</translation>
    </message>
    <message>
        <source>{title}…</source>
        <translation>{title}…</translation>
    </message>
    <message>
        <source>[done] {name}</source>
        <translation>[klar] {name}</translation>
    </message>
    <message>
        <source>Done: {name}, {size} (predicted {predicted}), quantized in {seconds} s. It is in the Library, linked to its source.</source>
        <translation>Klart: {name}, {size} (väntat {predicted}), kvantiserad på {seconds} s. Den finns i Bibliotek, kopplad till sin källa.</translation>
    </message>
    <message>
        <source>Done: {folder}. It is in the Library.</source>
        <translation>Klart: {folder}. Den finns i Bibliotek.</translation>
    </message>
    <message>
        <source>Cancelled: nothing was left behind.</source>
        <translation>Avbrutet: inget lämnades kvar.</translation>
    </message>
    <message>
        <source>Compare two GGUF models of the library (perplexity and KLD need llama.cpp).</source>
        <translation>Jämför två GGUF-modeller i biblioteket (perplexitet och KLD kräver llama.cpp).</translation>
    </message>
    <message>
        <source>Compare {variant} with {base}</source>
        <translation>Jämför {variant} med {base}</translation>
    </message>
    <message>
        <source>Measuring {variant} against {base} (n_ctx {n_ctx})…</source>
        <translation>Mäter {variant} mot {base} (n_ctx {n_ctx})…</translation>
    </message>
    <message numerus="yes">
        <source>Compared on %n token(s) at n_ctx {n_ctx}: perplexity {base_ppl} → {variant_ppl}, KLD {kld}, top-1 {top1}.</source>
        <translation>
            <numerusform>Jämförda på %n token vid n_ctx {n_ctx}: perplexitet {base_ppl} → {variant_ppl}, KLD {kld}, topp-1 {top1}.</numerusform>
            <numerusform>Jämförda på %n token vid n_ctx {n_ctx}: perplexitet {base_ppl} → {variant_ppl}, KLD {kld}, topp-1 {top1}.</numerusform>
        </translation>
    </message>
    <message>
        <source>Comparison cancelled.</source>
        <translation>Jämförelsen avbröts.</translation>
    </message>
    <message>
        <source>Benchmark {name} ({type})</source>
        <translation>Prestandatest av {name} ({type})</translation>
    </message>
    <message>
        <source>{title} failed: {error} {hint}</source>
        <translation>{title} misslyckades: {error} {hint}</translation>
    </message>
    <message>
        <source>Read the variants</source>
        <translation>Läs varianterna</translation>
    </message>
    <message>
        <source>Export the variants</source>
        <translation>Exportera varianterna</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</source>
        <translation>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</translation>
    </message>
    <message>
        <source>Cannot export to {name}: unknown file type (use .csv, .json or .md).</source>
        <translation>Kan inte exportera till {name}: okänd filtyp (använd .csv, .json eller .md).</translation>
    </message>
    <message>
        <source>Cannot write {path}: {reason}.</source>
        <translation>Kan inte skriva {path}: {reason}.</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n variant(s) to {path}.</source>
        <translation>
            <numerusform>Exporterade %n variant till {path}.</numerusform>
            <numerusform>Exporterade %n varianter till {path}.</numerusform>
        </translation>
    </message>
    <message>
        <source>Save the quantized model as</source>
        <translation>Spara den kvantiserade modellen som</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF-modeller (*.gguf)</translation>
    </message>
    <message>
        <source>Calibration text</source>
        <translation>Kalibreringstext</translation>
    </message>
    <message>
        <source>Text files (*.txt);;All files (*)</source>
        <translation>Textfiler (*.txt);;Alla filer (*)</translation>
    </message>
    <message>
        <source>Importance matrix</source>
        <translation>Viktighetsmatris</translation>
    </message>
    <message>
        <source>Importance matrices (*.imatrix *.gguf *.dat)</source>
        <translation>Viktighetsmatriser (*.imatrix *.gguf *.dat)</translation>
    </message>
    <message>
        <source>Build the ONNX model into</source>
        <translation>Bygg ONNX-modellen i</translation>
    </message>
    <message>
        <source>%p%</source>
        <comment>progress bar: percent done</comment>
        <translation>%p %</translation>
    </message>
</context>
<context>
    <name>QuantizePreview</name>
    <message>
        <source>slmdesk — Quantize (preview)</source>
        <translation>slmdesk — Kvantisera (förhandsvisning)</translation>
    </message>
</context>
<context>
    <name>QuantizeSources</name>
    <message>
        <source>Hugging Face folder</source>
        <translation>Hugging Face-mapp</translation>
    </message>
</context>
<context>
    <name>RecommendModel</name>
    <message>
        <source>#</source>
        <translation>#</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>Kvantisering</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Storlek</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>Bedömning</translation>
    </message>
    <message>
        <source>Max context</source>
        <translation>Max kontext</translation>
    </message>
    <message>
        <source>Speed bound</source>
        <translation>Hastighetstak</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Varför</translation>
    </message>
    <message>
        <source>Rank: 1 is the best recommendation</source>
        <translation>Placering: 1 är den bästa rekommendationen</translation>
    </message>
    <message>
        <source>The largest context (tokens) that fits on the chosen profile</source>
        <translation>Den största kontext (token) som passar på den valda profilen</translation>
    </message>
    <message>
        <source>Upper bound on generation speed from memory bandwidth (real speeds are lower)</source>
        <translation>Övre gräns för genereringshastigheten utifrån minnesbandbredden (verkliga hastigheter är lägre)</translation>
    </message>
</context>
<context>
    <name>RecommendView</name>
    <message>
        <source>Find a family (Ctrl+F)</source>
        <translation>Hitta en familj (Ctrl+F)</translation>
    </message>
    <message>
        <source>Find a recommended family</source>
        <translation>Hitta en rekommenderad familj</translation>
    </message>
    <message>
        <source>Recommended quantizations</source>
        <translation>Rekommenderade kvantiseringar</translation>
    </message>
    <message>
        <source>Download…</source>
        <translation>Ladda ner…</translation>
    </message>
    <message>
        <source>Download the selected recommendation</source>
        <translation>Ladda ner den markerade rekommendationen</translation>
    </message>
    <message>
        <source>Download the selected quantization from its GGUF repository (Enter)</source>
        <translation>Ladda ner den markerade kvantiseringen från dess GGUF-förråd (Enter)</translation>
    </message>
    <message>
        <source>The best quantization of each family that fits {target}, best first.</source>
        <translation>Den bästa kvantiseringen av varje familj som passar {target}, bäst först.</translation>
    </message>
    <message>
        <source>Nothing in the catalog fits {target}. Try a smaller context.</source>
        <translation>Inget i katalogen passar {target}. Prova en mindre kontext.</translation>
    </message>
    <message>
        <source>Why {model} {quant}: {why}</source>
        <translation>Varför {model} {quant}: {why}</translation>
    </message>
</context>
<context>
    <name>RemoteModels</name>
    <message>
        <source>offline mode: only servers on this computer</source>
        <translation>offlineläge: bara servrar på den här datorn</translation>
    </message>
    <message>
        <source>server</source>
        <translation>server</translation>
    </message>
    <message>
        <source>{model} @ {host} · remote {server}{context}</source>
        <translation>{model} @ {host} · fjärr-{server}{context}</translation>
    </message>
    <message>
        <source>{model} on the {server} at {address} (connection {connection}). Replies are generated there: your messages are sent to it.</source>
        <translation>{model} på {server} på {address} (anslutningen {connection}). Svaren genereras där: dina meddelanden skickas dit.</translation>
    </message>
    <message>
        <source>{connection} @ {host} · remote: {note}</source>
        <translation>{connection} @ {host} · fjärr: {note}</translation>
    </message>
    <message>
        <source>unreachable ({error})</source>
        <translation>går inte att nå ({error})</translation>
    </message>
    <message>
        <source>no models</source>
        <translation>inga modeller</translation>
    </message>
    <message>
        <source>List remote models</source>
        <translation>Lista fjärrmodeller</translation>
    </message>
</context>
<context>
    <name>RemotesBox</name>
    <message>
        <source>Remote engines (OpenAI-compatible servers for Chat)</source>
        <translation>Fjärrmotorer (OpenAI-kompatibla servrar för Chatt)</translation>
    </message>
    <message>
        <source>Chat lists their models beside yours; messages are sent to that server.</source>
        <translation>Chatt listar deras modeller bredvid dina; meddelandena skickas till den servern.</translation>
    </message>
    <message>
        <source>Remote engines</source>
        <translation>Fjärrmotorer</translation>
    </message>
    <message>
        <source>gpu-box</source>
        <comment>an example name of a remote server</comment>
        <translation>gpu-box</translation>
    </message>
    <message>
        <source>Name of the new remote engine</source>
        <translation>Namn på den nya fjärrmotorn</translation>
    </message>
    <message>
        <source>URL of the new remote engine</source>
        <translation>URL till den nya fjärrmotorn</translation>
    </message>
    <message>
        <source>API key (optional; kept in the OS keyring)</source>
        <translation>API-nyckel (valfri; förvaras i systemets nyckelring)</translation>
    </message>
    <message>
        <source>API key of the new remote engine</source>
        <translation>API-nyckel för den nya fjärrmotorn</translation>
    </message>
    <message>
        <source>Test and add</source>
        <translation>Testa och lägg till</translation>
    </message>
    <message>
        <source>Test and add the remote engine</source>
        <translation>Testa och lägg till fjärrmotorn</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Testa</translation>
    </message>
    <message>
        <source>Test the selected remote engine</source>
        <translation>Testa den markerade fjärrmotorn</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Ta bort</translation>
    </message>
    <message>
        <source>Remove the selected remote engine</source>
        <translation>Ta bort den markerade fjärrmotorn</translation>
    </message>
    <message>
        <source>Offline mode is on: only servers on this computer (127.0.0.1, localhost) are contacted.</source>
        <translation>Offlineläget är på: bara servrar på den här datorn (127.0.0.1, localhost) kontaktas.</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Namn:</translation>
    </message>
    <message>
        <source>URL:</source>
        <translation>URL:</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API-nyckel:</translation>
    </message>
    <message>
        <source>Internal error: {kind}: {error}</source>
        <translation>Internt fel: {kind}: {error}</translation>
    </message>
    <message>
        <source>Added {name}: {server}.</source>
        <translation>{name} har lagts till: {server}.</translation>
    </message>
    <message>
        <source>Testing {target}…</source>
        <translation>Testar {target}…</translation>
    </message>
    <message numerus="yes">
        <source>{server}, %n model(s): {names} ({ms} ms)</source>
        <translation>
            <numerusform>{server}, %n modell: {names} ({ms} ms)</numerusform>
            <numerusform>{server}, %n modeller: {names} ({ms} ms)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{server}, %n model(s) ({ms} ms)</source>
        <translation>
            <numerusform>{server}, %n modell ({ms} ms)</numerusform>
            <numerusform>{server}, %n modeller ({ms} ms)</numerusform>
        </translation>
    </message>
    <message>
        <source>{name} answered: {server}.</source>
        <translation>{name} svarade: {server}.</translation>
    </message>
    <message>
        <source>Removed {name} and its key.</source>
        <translation>{name} och dess nyckel har tagits bort.</translation>
    </message>
</context>
<context>
    <name>RepoItemsModel</name>
    <message>
        <source>Item</source>
        <translation>Objekt</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Storlek</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>Bedömning</translation>
    </message>
    <message>
        <source>Max context</source>
        <translation>Max kontext</translation>
    </message>
    <message>
        <source>Speed bound</source>
        <translation>Hastighetstak</translation>
    </message>
    <message>
        <source>The fit on the chosen profile, read from the file&apos;s header</source>
        <translation>Bedömningen på den valda profilen, utifrån filhuvudet</translation>
    </message>
    <message>
        <source>The largest context (tokens) that fits on the chosen profile</source>
        <translation>Den största kontext (token) som passar på den valda profilen</translation>
    </message>
    <message>
        <source>Upper bound on generation speed from memory bandwidth (real speeds are lower)</source>
        <translation>Övre gräns för genereringshastigheten utifrån minnesbandbredden (verkliga hastigheter är lägre)</translation>
    </message>
    <message numerus="yes">
        <source>{kind}, %n parts</source>
        <translation>
            <numerusform>{kind}, %n del</numerusform>
            <numerusform>{kind}, %n delar</numerusform>
        </translation>
    </message>
    <message>
        <source>unknown</source>
        <comment>SHA-256 not known</comment>
        <translation>okänd</translation>
    </message>
    <message>
        <source>Missing parts: {parts}</source>
        <translation>Delar som saknas: {parts}</translation>
    </message>
</context>
<context>
    <name>RepoView</name>
    <message>
        <source>Select a search result to see its files.</source>
        <translation>Markera ett sökresultat för att se dess filer.</translation>
    </message>
    <message>
        <source>Files of the repository</source>
        <translation>Förrådets filer</translation>
    </message>
    <message>
        <source>Download…</source>
        <translation>Ladda ner…</translation>
    </message>
    <message>
        <source>Download the selected file</source>
        <translation>Ladda ner den markerade filen</translation>
    </message>
    <message>
        <source>Download the selected file from the repository (Enter)</source>
        <translation>Ladda ner den markerade filen från förrådet (Enter)</translation>
    </message>
    <message>
        <source>Listing the repository…</source>
        <translation>Listar förrådet…</translation>
    </message>
    <message>
        <source>List {repo}</source>
        <translation>Lista {repo}</translation>
    </message>
    <message>
        <source>License: {license}</source>
        <translation>Licens: {license}</translation>
    </message>
    <message>
        <source>not stated</source>
        <translation>inte angiven</translation>
    </message>
    <message>
        <source>gated: accept its terms on the Hub and set a token</source>
        <translation>begränsad: godkänn villkoren på Hub och ange en åtkomsttoken</translation>
    </message>
    <message>
        <source>private</source>
        <translation>privat</translation>
    </message>
    <message>
        <source>commit {commit}</source>
        <translation>incheckning {commit}</translation>
    </message>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n objekt</numerusform>
            <numerusform>%n objekt</numerusform>
        </translation>
    </message>
    <message>
        <source>No GGUF or ONNX model in this repository.</source>
        <translation>Ingen GGUF- eller ONNX-modell i det här förrådet.</translation>
    </message>
    <message>
        <source>Reading header…</source>
        <translation>Läser filhuvudet…</translation>
    </message>
    <message>
        <source>Read the header of {path}</source>
        <translation>Läs filhuvudet i {path}</translation>
    </message>
    <message>
        <source>No header</source>
        <translation>Inget filhuvud</translation>
    </message>
    <message>
        <source>No estimate</source>
        <translation>Ingen uppskattning</translation>
    </message>
</context>
<context>
    <name>ResultsTableModel</name>
    <message>
        <source>When</source>
        <translation>När</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>pp t/s</source>
        <translation>pp t/s</translation>
    </message>
    <message>
        <source>tg t/s</source>
        <translation>tg t/s</translation>
    </message>
    <message>
        <source>tg bound (fit)</source>
        <translation>tg-gräns (passning)</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Test</translation>
    </message>
    <message>
        <source>Quant</source>
        <translation>Kvant.</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Trådar</translation>
    </message>
    <message>
        <source>TTFT s</source>
        <translation>TTFT s</translation>
    </message>
    <message>
        <source>Load s</source>
        <translation>Inläsning s</translation>
    </message>
    <message>
        <source>Peak memory</source>
        <translation>Högsta minne</translation>
    </message>
    <message>
        <source>Energy J/token</source>
        <translation>Energi J/token</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Motor</translation>
    </message>
    <message>
        <source>Runs on</source>
        <translation>Körs på</translation>
    </message>
    <message>
        <source>Prompt processing speed in tokens per second (mean ± standard deviation)</source>
        <translation>Hastighet för promptbearbetning i token per sekund (medelvärde ± standardavvikelse)</translation>
    </message>
    <message>
        <source>Token generation speed in tokens per second (mean ± standard deviation)</source>
        <translation>Genereringshastighet i token per sekund (medelvärde ± standardavvikelse)</translation>
    </message>
    <message>
        <source>The fit estimate&apos;s upper bound on generation speed (memory bandwidth / bytes read per token)</source>
        <translation>Passningsuppskattningens övre gräns för genereringshastigheten (minnesbandbredd / byte som läses per token)</translation>
    </message>
    <message>
        <source>Time to first token of a chat prompt, in seconds</source>
        <translation>Tid till första token för en chattprompt, i sekunder</translation>
    </message>
    <message>
        <source>Time to load the model, in seconds</source>
        <translation>Tid för att läsa in modellen, i sekunder</translation>
    </message>
    <message>
        <source>The most memory the engine process used (peak RSS)</source>
        <translation>Det mesta minne som motorprocessen använde (högsta RSS)</translation>
    </message>
    <message>
        <source>The llama.cpp CPU variant chosen at run time and whether weights were repacked</source>
        <translation>Den CPU-variant av llama.cpp som valdes vid körningen och om vikterna packades om</translation>
    </message>
    <message>
        <source>Energy counters are not readable here.</source>
        <translation>Energiräknarna går inte att läsa här.</translation>
    </message>
    <message>
        <source>{path}
SHA-256 {sha256}
{hardware}</source>
        <translation>{path}
SHA-256 {sha256}
{hardware}</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>okänd</translation>
    </message>
    <message>
        <source>Measured tg is {share} of the bound</source>
        <translation>Uppmätt tg är {share} av gränsen</translation>
    </message>
</context>
<context>
    <name>ScanRootModel</name>
    <message>
        <source>{path}  ({layout}, found)</source>
        <translation>{path}  ({layout}, hittad)</translation>
    </message>
    <message>
        <source>{path}  ({layout}, added by you)</source>
        <translation>{path}  ({layout}, tillagd av dig)</translation>
    </message>
</context>
<context>
    <name>ScanRootsBox</name>
    <message>
        <source>Any folder</source>
        <translation>Valfri mapp</translation>
    </message>
    <message>
        <source>Hugging Face cache</source>
        <translation>Hugging Face-cache</translation>
    </message>
    <message>
        <source>LM Studio models folder</source>
        <translation>LM Studios modellmapp</translation>
    </message>
    <message>
        <source>GPT4All models folder</source>
        <translation>GPT4Alls modellmapp</translation>
    </message>
    <message>
        <source>Ollama store</source>
        <translation>Ollamas lager</translation>
    </message>
    <message>
        <source>Model folders scanned by the Library</source>
        <translation>Modellmappar som Biblioteket söker igenom</translation>
    </message>
    <message>
        <source>Unticked folders are skipped by Rescan. Models are used where they lie, never copied.</source>
        <translation>Mappar utan bock hoppas över när du söker igenom igen. Modellerna används där de ligger och kopieras aldrig.</translation>
    </message>
    <message>
        <source>Scanned model folders</source>
        <translation>Genomsökta modellmappar</translation>
    </message>
    <message>
        <source>Tick a folder to include it in rescans</source>
        <translation>Bocka för en mapp för att ta med den när du söker igenom igen</translation>
    </message>
    <message>
        <source>Layout:</source>
        <translation>Struktur:</translation>
    </message>
    <message>
        <source>Layout of the folder to add</source>
        <translation>Strukturen på mappen som ska läggas till</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>Lägg till mapp…</translation>
    </message>
    <message>
        <source>Add a folder to scan</source>
        <translation>Lägg till en mapp att söka igenom</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Ta bort</translation>
    </message>
    <message>
        <source>Remove the selected scanned folder</source>
        <translation>Ta bort den markerade genomsökta mappen</translation>
    </message>
    <message>
        <source>Stop scanning the selected folder (its models stay in the Library)</source>
        <translation>Sluta söka igenom den markerade mappen (dess modeller finns kvar i Biblioteket)</translation>
    </message>
</context>
<context>
    <name>ServingBenchView</name>
    <message>
        <source>{text} is not a list of concurrency levels.</source>
        <translation>{text} är inte en lista med samtidighetsnivåer.</translation>
    </message>
    <message>
        <source>For example 1,2,4,8.</source>
        <translation>Till exempel 1,2,4,8.</translation>
    </message>
    <message>
        <source>Endpoint URL</source>
        <translation>Slutpunktens URL</translation>
    </message>
    <message>
        <source>Local server</source>
        <translation>Lokal server</translation>
    </message>
    <message>
        <source>Use slmdesk&apos;s own API server (Settings › Local API server) when it runs</source>
        <translation>Använd slmdesks egen API-server (Inställningar › Lokal API-server) när den körs</translation>
    </message>
    <message>
        <source>Use the local API server</source>
        <translation>Använd den lokala API-servern</translation>
    </message>
    <message>
        <source>API key (not stored)</source>
        <translation>API-nyckel (sparas inte)</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API-nyckel</translation>
    </message>
    <message>
        <source>Model id</source>
        <translation>Modell-id</translation>
    </message>
    <message>
        <source>Fetch</source>
        <translation>Hämta</translation>
    </message>
    <message>
        <source>List the models the endpoint serves (GET /v1/models)</source>
        <translation>Lista modellerna som slutpunkten serverar (GET /v1/models)</translation>
    </message>
    <message>
        <source>Fetch the endpoint&apos;s models</source>
        <translation>Hämta slutpunktens modeller</translation>
    </message>
    <message>
        <source>API endpoint</source>
        <translation>API-slutpunkt</translation>
    </message>
    <message>
        <source>Concurrency levels</source>
        <translation>Samtidighetsnivåer</translation>
    </message>
    <message>
        <source>Requests in flight at once; a list such as 1,2,4 runs each level</source>
        <translation>Förfrågningar som pågår samtidigt; en lista som 1,2,4 kör varje nivå</translation>
    </message>
    <message>
        <source>Requests per level</source>
        <translation>Förfrågningar per nivå</translation>
    </message>
    <message>
        <source>inf (all at once)</source>
        <translation>inf (alla direkt)</translation>
    </message>
    <message>
        <source>Requests per second, Poisson arrivals; 0 sends all at once (vLLM&apos;s inf)</source>
        <translation>Förfrågningar per sekund, Poisson-fördelade; 0 skickar alla på en gång (vLLM:s inf)</translation>
    </message>
    <message>
        <source>Request rate per second</source>
        <translation>Förfrågningar per sekund</translation>
    </message>
    <message>
        <source>Words of each synthetic prompt, about one token each</source>
        <translation>Ord i varje syntetisk prompt, ungefär en token vardera</translation>
    </message>
    <message>
        <source>Input words</source>
        <translation>Indataord</translation>
    </message>
    <message>
        <source>max_tokens of each request (ignore_eos/min_tokens ask for exactly this many)</source>
        <translation>max_tokens för varje förfrågan (ignore_eos/min_tokens begär exakt så många)</translation>
    </message>
    <message>
        <source>Output tokens</source>
        <translation>Utdatatoken</translation>
    </message>
    <message>
        <source>synthetic prompts</source>
        <translation>syntetiska promptar</translation>
    </message>
    <message>
        <source>Dataset file</source>
        <translation>Datamängdsfil</translation>
    </message>
    <message>
        <source>A JSONL file (prompt, output_len) or a text file, one prompt per line</source>
        <translation>En JSONL-fil (prompt, output_len) eller en textfil med en prompt per rad</translation>
    </message>
    <message>
        <source>Choose a dataset file</source>
        <translation>Välj en datamängdsfil</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Slutpunkt</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>Samtidighet</translation>
    </message>
    <message>
        <source>Requests / level</source>
        <translation>Förfrågningar / nivå</translation>
    </message>
    <message>
        <source>Request rate /s</source>
        <translation>Förfrågningar /s</translation>
    </message>
    <message>
        <source>Dataset</source>
        <translation>Datamängd</translation>
    </message>
    <message>
        <source>Run serving benchmark</source>
        <translation>Kör serveringstest</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Avbryt</translation>
    </message>
    <message>
        <source>Cancel the serving benchmark</source>
        <translation>Avbryt serveringstestet</translation>
    </message>
    <message>
        <source>Serving benchmark progress</source>
        <translation>Serveringstestets förlopp</translation>
    </message>
    <message>
        <source>Serving benchmark status</source>
        <translation>Serveringstestets status</translation>
    </message>
    <message>
        <source>Serving runs</source>
        <translation>Serveringskörningar</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportera…</translation>
    </message>
    <message>
        <source>Export the selected runs (all if none is selected) as CSV, JSON or Markdown</source>
        <translation>Exportera de markerade körningarna (alla om ingen är markerad) som CSV, JSON eller Markdown</translation>
    </message>
    <message>
        <source>Export serving runs</source>
        <translation>Exportera serveringskörningar</translation>
    </message>
    <message>
        <source>Serving benchmark runs</source>
        <translation>Körningar av serveringstest</translation>
    </message>
    <message>
        <source>Serving charts</source>
        <translation>Serveringsdiagram</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>Genomströmning</translation>
    </message>
    <message>
        <source>Latency</source>
        <translation>Latens</translation>
    </message>
    <message>
        <source>slmdesk&apos;s local API server is not running: switch it on in Settings.</source>
        <translation>slmdesks lokala API-server körs inte: slå på den i Inställningar.</translation>
    </message>
    <message>
        <source>List the endpoint&apos;s models</source>
        <translation>Lista slutpunktens modeller</translation>
    </message>
    <message numerus="yes">
        <source>%n model(s) at {url}.</source>
        <translation>
            <numerusform>%n modell på {url}.</numerusform>
            <numerusform>%n modeller på {url}.</numerusform>
        </translation>
    </message>
    <message>
        <source>Prompts dataset</source>
        <translation>Datamängd med promptar</translation>
    </message>
    <message>
        <source>JSONL or text (*.jsonl *.json *.txt);;All files (*)</source>
        <translation>JSONL eller text (*.jsonl *.json *.txt);;Alla filer (*)</translation>
    </message>
    <message>
        <source>Serving benchmark {model} (c={levels})</source>
        <translation>Serveringstest {model} (c={levels})</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>i kö</translation>
    </message>
    <message numerus="yes">
        <source>Finished %n level(s);</source>
        <translation>
            <numerusform>Klar med %n nivå;</numerusform>
            <numerusform>Klar med %n nivåer;</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n request(s) failed.</source>
        <translation>
            <numerusform>%n förfrågan misslyckades.</numerusform>
            <numerusform>%n förfrågningar misslyckades.</numerusform>
        </translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Avbrutet.</translation>
    </message>
    <message>
        <source>Cannot read the inventory: {error}</source>
        <translation>Kan inte läsa inventariet: {error}</translation>
    </message>
    <message>
        <source>Export serving benchmark runs</source>
        <translation>Exportera körningar av serveringstest</translation>
    </message>
    <message>
        <source>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</source>
        <translation>CSV (*.csv);;JSON (*.json);;Markdown (*.md)</translation>
    </message>
    <message numerus="yes">
        <source>Exported %n run(s) to {path}.</source>
        <translation>
            <numerusform>Exporterade %n körning till {path}.</numerusform>
            <numerusform>Exporterade %n körningar till {path}.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ServingCharts</name>
    <message>
        <source>c{concurrency} · {rate}</source>
        <translation>c{concurrency} · {rate}</translation>
    </message>
</context>
<context>
    <name>ServingRunsModel</name>
    <message>
        <source>When</source>
        <translation>När</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Conc.</source>
        <translation>Samt.</translation>
    </message>
    <message>
        <source>Rate</source>
        <translation>Takt</translation>
    </message>
    <message>
        <source>OK / failed</source>
        <translation>OK / misslyckade</translation>
    </message>
    <message>
        <source>Output tok/s</source>
        <translation>Utdata tok/s</translation>
    </message>
    <message>
        <source>Req/s</source>
        <translation>Förfr./s</translation>
    </message>
    <message>
        <source>TTFT p50 ms</source>
        <translation>TTFT p50 ms</translation>
    </message>
    <message>
        <source>TTFT p99 ms</source>
        <translation>TTFT p99 ms</translation>
    </message>
    <message>
        <source>TPOT p50 ms</source>
        <translation>TPOT p50 ms</translation>
    </message>
    <message>
        <source>ITL p50 ms</source>
        <translation>ITL p50 ms</translation>
    </message>
    <message>
        <source>ITL p99 ms</source>
        <translation>ITL p99 ms</translation>
    </message>
    <message>
        <source>E2E p50 ms</source>
        <translation>E2E p50 ms</translation>
    </message>
    <message>
        <source>Endpoint</source>
        <translation>Slutpunkt</translation>
    </message>
    <message>
        <source>Concurrency: requests in flight at once</source>
        <translation>Samtidighet: förfrågningar som pågår samtidigt</translation>
    </message>
    <message>
        <source>Request rate per second (inf: all at once)</source>
        <translation>Förfrågningar per sekund (inf: alla på en gång)</translation>
    </message>
    <message>
        <source>Output tokens per second</source>
        <translation>Utdatatoken per sekund</translation>
    </message>
    <message>
        <source>Completed requests per second</source>
        <translation>Slutförda förfrågningar per sekund</translation>
    </message>
    <message>
        <source>Time to first token, median</source>
        <translation>Tid till första token, median</translation>
    </message>
    <message>
        <source>Time to first token, 99th percentile</source>
        <translation>Tid till första token, 99:e percentilen</translation>
    </message>
    <message>
        <source>Time per output token, median</source>
        <translation>Tid per utdatatoken, median</translation>
    </message>
    <message>
        <source>Inter-token latency, median</source>
        <translation>Latens mellan token, median</translation>
    </message>
    <message>
        <source>Inter-token latency, 99th percentile</source>
        <translation>Latens mellan token, 99:e percentilen</translation>
    </message>
    <message>
        <source>End-to-end request latency, median</source>
        <translation>Latens för hela förfrågan, median</translation>
    </message>
</context>
<context>
    <name>SettingsPane</name>
    <message>
        <source>Models</source>
        <translation>Modeller</translation>
    </message>
    <message>
        <source>Open the Models folder</source>
        <translation>Öppna mappen Modeller</translation>
    </message>
    <message>
        <source>Data (inventory)</source>
        <translation>Data (förteckning)</translation>
    </message>
    <message>
        <source>Open the Data folder</source>
        <translation>Öppna mappen Data</translation>
    </message>
    <message>
        <source>Configuration</source>
        <translation>Konfiguration</translation>
    </message>
    <message>
        <source>Open the Configuration folder</source>
        <translation>Öppna mappen Konfiguration</translation>
    </message>
    <message>
        <source>Cache</source>
        <translation>Cache</translation>
    </message>
    <message>
        <source>Open the Cache folder</source>
        <translation>Öppna mappen Cache</translation>
    </message>
    <message>
        <source>Logs</source>
        <translation>Loggar</translation>
    </message>
    <message>
        <source>Open the Logs folder</source>
        <translation>Öppna mappen Loggar</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Inställningar</translation>
    </message>
    <message>
        <source>Portable mode: everything lives under SLMDESK_HOME.</source>
        <translation>Portabelt läge: allt ligger under SLMDESK_HOME.</translation>
    </message>
    <message>
        <source>Per-user folders of this operating system. Set SLMDESK_HOME to keep everything in one folder.</source>
        <translation>Operativsystemets mappar för varje användare. Ange SLMDESK_HOME för att samla allt i en mapp.</translation>
    </message>
    <message>
        <source>Folders</source>
        <translation>Mappar</translation>
    </message>
    <message>
        <source>Open</source>
        <comment>verb: open a folder</comment>
        <translation>Öppna</translation>
    </message>
    <message>
        <source>Open {path} in the file manager</source>
        <translation>Öppna {path} i filhanteraren</translation>
    </message>
</context>
<context>
    <name>SettingsPreview</name>
    <message>
        <source>slmdesk — Settings (preview)</source>
        <translation>slmdesk — Inställningar (förhandsvisning)</translation>
    </message>
</context>
<context>
    <name>SpeedChartView</name>
    <message>
        <source>Speed (tokens/s, mean ± standard deviation)</source>
        <translation>Hastighet (token/s, medelvärde ± standardavvikelse)</translation>
    </message>
    <message>
        <source>Speed chart</source>
        <translation>Hastighetsdiagram</translation>
    </message>
    <message>
        <source>pp t/s</source>
        <translation>pp t/s</translation>
    </message>
    <message>
        <source>tg t/s</source>
        <translation>tg t/s</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>token/s</translation>
    </message>
    <message>
        <source>{figure} ± standard deviation</source>
        <translation>{figure} ± standardavvikelse</translation>
    </message>
</context>
<context>
    <name>TargetBar</name>
    <message>
        <source>Fit for</source>
        <translation>Bedöm för</translation>
    </message>
    <message>
        <source>Target profile</source>
        <translation>Målprofil</translation>
    </message>
    <message>
        <source>The machine every verdict, largest context and speed bound is computed for</source>
        <translation>Datorn som varje bedömning, största kontext och hastighetstak räknas fram för</translation>
    </message>
    <message>
        <source>This machine</source>
        <translation>Den här datorn</translation>
    </message>
    <message>
        <source>{name} (yours)</source>
        <translation>{name} (din)</translation>
    </message>
    <message>
        <source>n_ctx</source>
        <comment>llama.cpp&apos;s name of the context length: keep it</comment>
        <translation>n_ctx</translation>
    </message>
    <message>
        <source>Wanted context (n_ctx)</source>
        <translation>Önskad kontext (n_ctx)</translation>
    </message>
    <message>
        <source>The context length (tokens) the model should hold; llama.cpp pads it to 256</source>
        <translation>Kontextlängden (token) som modellen ska rymma; llama.cpp avrundar uppåt till en multipel av 256</translation>
    </message>
    <message>
        <source>this machine</source>
        <comment>the profile of the computer slmdesk runs on, inside a sentence</comment>
        <translation>den här datorn</translation>
    </message>
    <message>
        <source>Measuring this machine…</source>
        <translation>Mäter den här datorn…</translation>
    </message>
    <message>
        <source>Probe this machine</source>
        <translation>Undersök den här datorn</translation>
    </message>
    <message>
        <source>Could not probe this machine</source>
        <translation>Kunde inte undersöka den här datorn</translation>
    </message>
</context>
<context>
    <name>ThroughputChartView</name>
    <message>
        <source>Output throughput vs concurrency (tokens/s)</source>
        <translation>Utdatagenomströmning mot samtidighet (token/s)</translation>
    </message>
    <message>
        <source>Throughput chart</source>
        <translation>Genomströmningsdiagram</translation>
    </message>
    <message>
        <source>{model} · rate {rate}</source>
        <translation>{model} · takt {rate}</translation>
    </message>
    <message>
        <source>Concurrency</source>
        <translation>Samtidighet</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>token/s</translation>
    </message>
</context>
<context>
    <name>TranscriptView</name>
    <message>
        <source>Copy</source>
        <comment>link: copy a message</comment>
        <translation>Kopiera</translation>
    </message>
    <message>
        <source>Copy code</source>
        <comment>link: copy a code block</comment>
        <translation>Kopiera kod</translation>
    </message>
    <message>
        <source>Transcript</source>
        <translation>Utskrift av konversationen</translation>
    </message>
    <message>
        <source>The messages of the conversation; links copy a message or a code block</source>
        <translation>Konversationens meddelanden; länkarna kopierar ett meddelande eller ett kodblock</translation>
    </message>
</context>
<context>
    <name>UsageLabel</name>
    <message>
        <source>RAM {used} / {total}</source>
        <translation>RAM {used} / {total}</translation>
    </message>
    <message>
        <source>VRAM {used} / {total}</source>
        <translation>VRAM {used} / {total}</translation>
    </message>
    <message>
        <source>CPU {percent}</source>
        <translation>CPU {percent}</translation>
    </message>
    <message>
        <source>GPU none</source>
        <translation>Ingen GPU</translation>
    </message>
    <message>
        <source>Memory, CPU and GPU use</source>
        <translation>Användning av minne, CPU och GPU</translation>
    </message>
</context>
<context>
    <name>WelcomeBanner</name>
    <message>
        <source>Add {name} ({quantization}, {size})</source>
        <translation>Lägg till {name} ({quantization}, {size})</translation>
    </message>
    <message>
        <source>Add {name} ({quantization}, {size}, base model)</source>
        <translation>Lägg till {name} ({quantization}, {size}, basmodell)</translation>
    </message>
    <message>
        <source>Install the {package} package to offer this model</source>
        <translation>Installera paketet {package} för att erbjuda den här modellen</translation>
    </message>
    <message>
        <source>Scan other apps&apos; folders</source>
        <translation>Sök igenom andra appars mappar</translation>
    </message>
    <message>
        <source>Not now</source>
        <translation>Inte nu</translation>
    </message>
    <message>
        <source>Hide this offer until slmdesk starts again</source>
        <translation>Dölj erbjudandet tills slmdesk startas igen</translation>
    </message>
    <message>
        <source>Not now: hide the starter models</source>
        <translation>Inte nu: dölj startmodellerna</translation>
    </message>
    <message>
        <source>&lt;b&gt;Your library is empty.&lt;/b&gt; Add a small starter model that is already on this machine (no download), or adopt the models other apps keep: they are used where they lie, never copied.</source>
        <translation>&lt;b&gt;Ditt bibliotek är tomt.&lt;/b&gt; Lägg till en liten startmodell som redan finns på den här datorn (ingen nedladdning), eller ta över modellerna som andra appar har: de används där de ligger och kopieras aldrig.</translation>
    </message>
    <message>
        <source>{kind} at {path}</source>
        <translation>{kind} i {path}</translation>
    </message>
    <message>
        <source>Found: {places}</source>
        <translation>Hittade: {places}</translation>
    </message>
    <message>
        <source>No LM Studio, GPT4All, Ollama or Hugging Face cache folders were found.</source>
        <translation>Inga mappar från LM Studio, GPT4All, Ollama eller Hugging Face-cachen hittades.</translation>
    </message>
    <message>
        <source>Another starter model is on this machine, ready to add (no download):</source>
        <translation>Ytterligare en startmodell finns på den här datorn, redo att läggas till (ingen nedladdning):</translation>
    </message>
</context>
</TS>
