/* Style functions the map calls in the browser (dash-leaflet passes `context.hideout`), so a colour
   change needs no round trip. Referenced from Python as {"variable": "gis.<name>"}. */
window.gis = Object.assign({}, window.gis, {
    /* Index of the class a value falls in: breaks are class upper bounds, ascending. */
    classOf: function (value, breaks) {
        let i = 0;
        while (i < breaks.length - 1 && value > breaks[i]) { i++; }
        return i;
    },
    heatStyle: function (feature, context) {
        const h = context.hideout;
        const v = feature.properties[h.metric];
        const colour = h.colors[Math.min(window.gis.classOf(v, h.breaks), h.colors.length - 1)];
        return {fillColor: colour, fillOpacity: h.opacity || 0.72, weight: 0.4, color: h.edge || "#ffffff"};
    },
    changeStyle: function (feature, context) {
        const h = context.hideout;
        const v = feature.properties[h.metric];
        const colour = h.colors[Math.min(window.gis.classOf(v, h.breaks), h.colors.length - 1)];
        return {fillColor: colour, fillOpacity: 0.78, weight: 0.4, color: h.edge || "#ffffff"};
    },
    /* Roads and outlines are not interactive: on the shared canvas they would take the clicks meant for the
       hexagon under them. (dash-leaflet 1.1.3 does not pass GeoJSON's `interactive` prop on to the features;
       a style's options are merged into each feature's, so the style says it.) */
    outlineStyle: function (feature, context) {
        return Object.assign({interactive: false}, context.hideout.style);
    },
    roadStyle: function (feature, context) {
        return {color: context.hideout.color, weight: feature.properties.weight, opacity: 0.85, interactive: false};
    },
    placeMarker: function (feature, latlng, context) {
        const p = feature.properties;
        const glyph = (context && context.hideout && context.hideout.lang === "en") ? p.icon_en : p.icon_zh;
        const icon = L.divIcon({className: "place-icon", iconSize: [18, 18],
                                html: "<span style=\"background:" + p.color + "\">" + glyph + "</span>"});
        return L.marker(latlng, {icon: icon, title: feature.properties.name});
    },
    labelMarker: function (feature, latlng) {
        const p = feature.properties;
        const icon = L.divIcon({className: "zone-label zone-label-" + p.level, html: "<span>" + p.name + "</span>",
                                iconSize: null});
        return L.marker(latlng, {icon: icon, interactive: false, keyboard: false});
    },
    bindName: function (feature, layer) {
        if (feature.properties && feature.properties.name) {
            layer.bindTooltip(feature.properties.name, {sticky: true});
        }
    },
    /* The tooltip is made on the first hover, not up front: binding one to each of 20,000 hexagons cost a
       large share of a street-zoom view's drawing time. */
    bindCount: function (feature, layer, context) {
        layer.once("mouseover", function (e) {
            const p = feature.properties;
            const h = context.hideout;
            let text = (h.label || "") + " " + p[h.metric];
            if (p.baseline !== undefined) { text += " (" + p.incidents + " / " + p.baseline + ")"; }
            layer.bindTooltip(text, {sticky: true}).openTooltip(e.latlng);
        });
    },
    /* Blind spots: small hexagons at county zoom, so a thick outline in the fill colour keeps them visible. */
    blindStyle: function (feature, context) {
        const h = context.hideout;
        const colour = h.colors[Math.min(window.gis.classOf(feature.properties[h.metric], h.breaks), h.colors.length - 1)];
        return {fillColor: colour, fillOpacity: 0.9, weight: 3, color: colour, opacity: 0.9};
    },
    /* Key places and main roads out of every camera's sight (with the blind-spot layer). */
    blindPlaceMarker: function (feature, latlng) {
        return L.circleMarker(latlng, {radius: 9, color: "#ae017e", weight: 3, fill: false});
    },
    blindRoadStyle: function () {
        return {color: "#ae017e", weight: 4, opacity: 0.85, dashArray: "6 4", interactive: true};
    },
    /* 查控圈: ring lines; checkpoints as glyphs (站/岗/点/卡) coloured by duty level, faded when not staffed in
       the duty mode shown; entries as dots, green when a staffed checkpoint covers them, red for leaks. */
    ringStyle: function (feature) {
        return {color: "#6a3d9a", weight: 3, opacity: 0.9, dashArray: feature.properties.derived ? "8 6" : null,
                fill: false};
    },
    ringPoint: function (feature, latlng) {
        const p = feature.properties;
        if (p.what === "checkpoint") {
            const icon = L.divIcon({className: "checkpoint-icon" + (p.staffed ? "" : " off"), iconSize: [20, 20],
                                    html: "<span style=\"background:" + p.color + "\">" + p.glyph + "</span>"});
            return L.marker(latlng, {icon: icon, title: p.name});
        }
        return L.circleMarker(latlng, {radius: 5, weight: 1, color: "#ffffff", fillOpacity: 0.95,
                                       fillColor: p.covered ? "#1a9850" : "#d73027"});
    },
    /* 拦截: escape routes (red through a leak, orange through a staffed entry still open) and entries. */
    interceptStyle: function (feature) {
        return {color: feature.properties.covered ? "#ff7f00" : "#e31a1c", weight: 4, opacity: 0.85};
    },
    interceptPoint: function (feature, latlng) {
        const p = feature.properties;
        if (p.what === "origin") {
            return L.circleMarker(latlng, {radius: 8, color: "#000000", weight: 3, fillColor: "#ffff33", fillOpacity: 1});
        }
        const marker = L.circleMarker(latlng, {radius: p.escape ? 7 : 4, weight: p.escape ? 3 : 1,
                                               color: p.escape ? "#000000" : "#ffffff", fillOpacity: 0.9,
                                               fillColor: p.covered ? "#1a9850" : "#d73027"});
        if (p.minutes !== null) { marker.bindTooltip(p.minutes + " min"); }
        return marker;
    },
    /* Patrols: tracks and trails in the unit kind's colour; units as dots with their id (a vehicle or team). */
    trackStyle: function (feature) {
        const trail = feature.properties.what === "trail";
        return {color: feature.properties.color, weight: trail ? 4 : 2, opacity: trail ? 0.95 : 0.35};
    },
    unitMarker: function (feature, latlng) {
        const p = feature.properties;
        const marker = L.circleMarker(latlng, {radius: 6, color: "#ffffff", weight: 2, fillColor: p.color,
                                               fillOpacity: 1});
        marker.bindTooltip(p.unit_id);
        return marker;
    },
    /* Cameras: a dot coloured by status; a tooltip with kind, owner and status in the page's language. */
    cameraMarker: function (feature, latlng, context) {
        const p = feature.properties;
        const marker = L.circleMarker(latlng, {radius: 4, color: "#ffffff", weight: 1, fillColor: p.color,
                                               fillOpacity: 0.95});
        const words = (context && context.hideout && context.hideout.words) || {};
        marker.bindTooltip([words[p.kind] || p.kind, words[p.owner] || p.owner, words[p.status] || p.status]
                           .join(" · "));
        return marker;
    },
    cameraSectorStyle: function (feature) {
        return {color: feature.properties.color, weight: 1, fillColor: feature.properties.color, fillOpacity: 0.25};
    },
    /* A cluster of cameras at low zoom: a disc with the count (own CSS, no markercluster stylesheet). */
    cameraCluster: function (feature, latlng) {
        const n = feature.properties.point_count;
        const size = n < 50 ? 26 : n < 500 ? 32 : 40;
        const icon = L.divIcon({className: "camera-cluster", iconSize: [size, size],
                                html: "<span>" + feature.properties.point_count_abbreviated + "</span>"});
        return L.marker(latlng, {icon: icon});
    },
    /* 布点建议: the recommended cameras' sectors, numbered in the order chosen. */
    planStyle: function () {
        return {color: "#6a3d9a", weight: 2, fillColor: "#cab2d6", fillOpacity: 0.55, dashArray: "4 3"};
    },
    bindPlan: function (feature, layer) {
        const p = feature.properties;
        layer.bindTooltip("#" + p.rank + " +" + p.gain_incidents, {permanent: true, direction: "center",
                                                                   className: "plan-label"});
    }
});
